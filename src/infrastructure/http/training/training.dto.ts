import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayNotEmpty,
  IsArray,
  IsIn,
  IsInt,
  IsISO8601,
  IsNumber,
  IsOptional,
  IsString,
  Length,
  Matches,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';

/** The most workers one attendance or exam-score request may name. */
export const MAX_WORKERS_PER_REQUEST = 1000;
const WORKER_ID = /^[A-Za-z0-9-]{1,64}$/;
/** An instant must say its time zone: '2026-11-24T09:00:00+08:00' or '…Z'. */
const WITH_ZONE = /(?:Z|[+-]\d{2}:?\d{2})$/i;

export class RegisterTrainingProviderDto {
  @ApiProperty({ example: '上海家政职业培训中心' })
  @IsString()
  @Length(1, 100)
  name!: string;

  @ApiProperty({ example: '52310000MJ0000000X', description: 'unified social credit code (GB 32100)' })
  @IsString()
  creditCode!: string;

  @ApiProperty({ example: '310104', description: 'Shanghai district code' })
  @IsString()
  district!: string;
}

export class ScheduleTrainingSessionDto {
  @ApiProperty({ enum: ['offline', 'online'] })
  @IsIn(['offline', 'online'])
  mode!: 'offline' | 'online';

  @ApiProperty({ example: 3, description: 'class hours (课时), whole or half hours, including the exam' })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  classHours!: number;

  @ApiProperty({ example: '王芳' })
  @IsString()
  teacher!: string;

  @ApiPropertyOptional({ example: '徐汇区漕溪北路 88 号 3 楼', description: 'required for offline sessions' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  place?: string;

  @ApiProperty({ example: '2026-11-24T09:00:00+08:00' })
  @IsISO8601({ strict: true }, { message: 'startsAt must be an ISO-8601 date-time' })
  @Matches(WITH_ZONE, { message: 'startsAt must give its time zone, e.g. 2026-11-24T09:00:00+08:00' })
  startsAt!: string;

  @ApiProperty({ example: '2026-11-24T12:00:00+08:00' })
  @IsISO8601({ strict: true }, { message: 'endsAt must be an ISO-8601 date-time' })
  @Matches(WITH_ZONE, { message: 'endsAt must give its time zone, e.g. 2026-11-24T12:00:00+08:00' })
  endsAt!: string;
}

export class AttendanceDto {
  @ApiProperty({ type: [String], description: 'the workers who attended (offline sessions)' })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_WORKERS_PER_REQUEST)
  @IsString({ each: true })
  @Matches(WORKER_ID, { each: true, message: 'workerIds must hold worker ids' })
  workerIds!: string[];
}

export class ProgressDto {
  @ApiProperty()
  @IsString()
  @Matches(WORKER_ID, { message: 'workerId must be a worker id' })
  workerId!: string;

  @ApiProperty({
    example: 1.5,
    description: 'hours of this online session done so far (whole or half hours)',
  })
  @IsNumber({ allowNaN: false, allowInfinity: false })
  hoursDone!: number;
}

export class SupervisionDto {
  @ApiProperty({ example: 24, description: 'attendees the inspector counted' })
  @IsInt()
  @Min(0)
  @Max(100_000)
  attendees!: number;

  @ApiProperty({ example: 24, description: 'attendees whose identity the inspector checked' })
  @IsInt()
  @Min(0)
  @Max(100_000)
  identityChecked!: number;

  @ApiProperty({ example: '李督导' })
  @IsString()
  inspector!: string;

  @ApiProperty({ enum: ['on_site', 'video'] })
  @IsIn(['on_site', 'video'])
  method!: 'on_site' | 'video';

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 500)
  note?: string;
}

export class ExamScoreDto {
  @ApiProperty()
  @IsString()
  @Matches(WORKER_ID, { message: 'workerId must be a worker id' })
  workerId!: string;

  @ApiProperty({ example: 86, minimum: 0, maximum: 100 })
  @IsInt()
  @Min(0)
  @Max(100)
  score!: number;
}

export class ExamScoresDto {
  @ApiProperty({ type: [ExamScoreDto] })
  @IsArray()
  @ArrayNotEmpty()
  @ArrayMaxSize(MAX_WORKERS_PER_REQUEST)
  @ValidateNested({ each: true })
  @Type(() => ExamScoreDto)
  scores!: ExamScoreDto[];
}
