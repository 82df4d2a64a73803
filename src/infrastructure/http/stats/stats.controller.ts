import { BadRequestException, Controller, Get, Query } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import { GetStatsQuery } from '../../../application/stats/stats-query';
import { Roles } from '../auth';

@ApiTags('stats')
@ApiBearerAuth()
@Controller('stats')
export class StatsController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get()
  @Roles('regulator')
  @ApiQuery({ name: 'groupBy', required: false, enum: ['district', 'agency'] })
  @ApiQuery({ name: 'series', required: false, enum: ['weekly'], description: 'adds a weekly time series' })
  stats(@Query('groupBy') groupBy?: string, @Query('series') series?: string) {
    if (groupBy !== undefined && groupBy !== 'district' && groupBy !== 'agency') {
      throw new BadRequestException({ message: 'groupBy must be district or agency', field: 'groupBy' });
    }
    if (series !== undefined && series !== 'weekly') {
      throw new BadRequestException({ message: 'series must be weekly', field: 'series' });
    }
    return this.queryBus.execute(new GetStatsQuery(groupBy, series));
  }
}
