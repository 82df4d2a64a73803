import { BadRequestException, Controller, Get, Param, Query, Res, applyDecorators } from '@nestjs/common';
import { QueryBus } from '@nestjs/cqrs';
import { ApiBearerAuth, ApiProduces, ApiQuery, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import {
  GetRosterQuery,
  type Period,
  type RosterOwner,
  type RosterView,
} from '../../../application/training/training-queries';
import type { Actor } from '../../../domain/actor';
import { shanghaiDateTime, startOfShanghaiDay } from '../../../domain/shanghai-time';
import { toCsv, type CsvCell } from '../../formats/csv';
import { XLSX_CONTENT_TYPE, toXlsx, type SheetColumn } from '../../formats/xlsx';
import { CurrentActor, Roles } from '../auth';
import { EntityIdPipe } from '../entity-id.pipe';

const FORMATS = ['json', 'csv', 'xlsx'] as const;
type Format = (typeof FORMATS)[number];

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})$/i;

/**
 * `from`/`to` as a Shanghai calendar date (the whole day: `to=2026-11-30` includes the 30th) or as an
 * ISO instant with its time zone (`to` then excluded).
 */
function boundary(raw: string | undefined, field: 'from' | 'to'): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  const invalid = () =>
    new BadRequestException({
      message: `${field} must be a date (YYYY-MM-DD, Shanghai time) or an ISO-8601 date-time with its time zone`,
      field,
    });
  if (DATE.test(raw)) {
    const start = Date.parse(`${raw}T00:00:00.000Z`);
    if (Number.isNaN(start) || new Date(start).toISOString().slice(0, 10) !== raw) throw invalid();
    const day = field === 'from' ? raw : new Date(start + 86_400_000).toISOString().slice(0, 10);
    return startOfShanghaiDay(day);
  }
  if (!INSTANT.test(raw) || Number.isNaN(Date.parse(raw))) throw invalid();
  return new Date(raw).toISOString();
}

function periodOf(from: string | undefined, to: string | undefined): Period {
  const period = { from: boundary(from, 'from'), to: boundary(to, 'to') };
  if (period.from !== undefined && period.to !== undefined && period.from >= period.to) {
    throw new BadRequestException({ message: 'to must be after from', field: 'to' });
  }
  return {
    ...(period.from !== undefined ? { from: period.from } : {}),
    ...(period.to !== undefined ? { to: period.to } : {}),
  };
}

function formatOf(raw: string | undefined): Format {
  if (raw === undefined || raw === '') return 'json';
  if (!(FORMATS as readonly string[]).includes(raw)) {
    throw new BadRequestException({
      message: `format must be one of ${FORMATS.join(', ')}`,
      field: 'format',
    });
  }
  return raw as Format;
}

/** Certificate status as the roster file says it. */
const CERTIFICATE_STATUS = { issued: '有效', revoked: '已注销', none: '未发证' } as const;

/** The columns of the roster file, headed in Chinese as the Commerce Commission files it. */
const COLUMNS: readonly (SheetColumn & { readonly cell: (row: RosterView['rows'][number]) => CsvCell })[] = [
  { header: '姓名', width: 12, cell: (row) => row.name },
  { header: '身份证号', width: 22, cell: (row) => row.idNumber },
  { header: '上门服务证编码', width: 16, cell: (row) => row.certificateCode },
  { header: '所在家政服务机构', width: 32, cell: (row) => row.agency },
  { header: '电话', width: 14, cell: (row) => row.phone },
  { header: '考试成绩', width: 10, cell: (row) => row.examScore },
  { header: '培训课时', width: 10, cell: (row) => row.classHours },
  { header: '培训机构', width: 28, cell: (row) => row.trainingProvider },
  { header: '培训完成时间', width: 20, cell: (row) => shanghaiDateTime(row.completedAt) },
  { header: '证件状态', width: 10, cell: (row) => CERTIFICATE_STATUS[row.certificateStatus ?? 'none'] },
];

function fileName(view: RosterView, format: Format): string {
  const day = (instant: string | null) => (instant ? instant.slice(0, 10) : 'all');
  return `roster-${view.owner.kind}-${view.owner.id}-${day(view.period.from)}-${day(view.period.to)}.${format}`;
}

/** Rosters (名册) of trained workers, per agency and per training provider, as JSON, CSV or XLSX. */
@ApiTags('rosters')
@ApiBearerAuth()
@Controller()
export class RosterController {
  constructor(private readonly queryBus: QueryBus) {}

  @Get('agencies/:id/roster')
  @Roles('regulator', 'agency_operator')
  @RosterParams()
  agencyRoster(
    @Param('id', EntityIdPipe) id: string,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('format') format?: string,
  ) {
    return this.roster({ kind: 'agency', id }, actor, reply, from, to, format);
  }

  @Get('training-providers/:id/roster')
  @Roles('regulator', 'training_provider')
  @RosterParams()
  providerRoster(
    @Param('id', EntityIdPipe) id: string,
    @CurrentActor() actor: Actor,
    @Res({ passthrough: true }) reply: FastifyReply,
    @Query('from') from?: string,
    @Query('to') to?: string,
    @Query('format') format?: string,
  ) {
    return this.roster({ kind: 'provider', id }, actor, reply, from, to, format);
  }

  private async roster(
    owner: RosterOwner,
    actor: Actor,
    reply: FastifyReply,
    from: string | undefined,
    to: string | undefined,
    rawFormat: string | undefined,
  ) {
    const format = formatOf(rawFormat);
    const view = await this.queryBus.execute<GetRosterQuery, RosterView>(
      new GetRosterQuery(owner, actor, periodOf(from, to)),
    );
    // Personal data: never kept by caches on the way.
    void reply.header('cache-control', 'no-store');
    if (format === 'json') return view;
    void reply.header('content-disposition', `attachment; filename="${fileName(view, format)}"`);
    const rows = view.rows.map((row) => COLUMNS.map((column) => column.cell(row)));
    if (format === 'csv') {
      void reply.header('content-type', 'text/csv; charset=utf-8');
      return toCsv([COLUMNS.map((column) => column.header), ...rows], { bom: true });
    }
    void reply.header('content-type', XLSX_CONTENT_TYPE);
    return toXlsx('名册', COLUMNS, rows);
  }
}

function RosterParams() {
  return applyDecorators(
    ApiQuery({ name: 'from', required: false, description: 'YYYY-MM-DD (Shanghai) or ISO date-time' }),
    ApiQuery({ name: 'to', required: false, description: 'YYYY-MM-DD (inclusive) or ISO date-time' }),
    ApiQuery({ name: 'format', required: false, enum: FORMATS }),
    ApiProduces('application/json', 'text/csv', XLSX_CONTENT_TYPE),
  );
}
