import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsString, Length, MaxLength, ValidateIf } from 'class-validator';
import { MAX_COMMENT_LENGTH, MAX_SCORE, MIN_SCORE } from '../../../domain/certificate/certificate-ratings';

export class ApplyDto {
  @ApiProperty() @IsString() @Length(1, 64) workerId!: string;
}

export class GateCheckDto {
  @ApiProperty({ enum: ['passed', 'failed'] }) @IsIn(['passed', 'failed']) outcome!: 'passed' | 'failed';

  @ApiPropertyOptional({ description: 'required when the outcome is failed: the reason' })
  @ValidateIf((dto: GateCheckDto) => dto.outcome === 'failed' || dto.note !== undefined)
  @IsString({ message: 'note is required when outcome is failed and must be a string' })
  @Length(1, 500)
  note?: string;
}

export class PoliceCheckDto {
  @ApiProperty({ enum: ['clear', 'record_found'] })
  @IsIn(['clear', 'record_found'])
  outcome!: 'clear' | 'record_found';

  @ApiProperty({ description: "the police system's reference for this comparison" })
  @IsString()
  @Length(1, 100)
  reference!: string;
}

export class HandOverDto {
  @ApiProperty({ enum: ['individual', 'collective'] })
  @IsIn(['individual', 'collective'])
  mode!: 'individual' | 'collective';

  @ApiPropertyOptional({ description: 'required for collective hand-over (集体领卡)' })
  @ValidateIf((dto: HandOverDto) => dto.mode === 'collective' || dto.batchRef !== undefined)
  @IsString({ message: 'batchRef is required when mode is collective and must be a string' })
  @Length(1, 100)
  batchRef?: string;
}

export class RevokeDto {
  @ApiProperty() @IsString() @Length(1, 500) reason!: string;
}

const SCORES = Array.from({ length: MAX_SCORE - MIN_SCORE + 1 }, (_, i) => MIN_SCORE + i);
const SCORE_MESSAGE = `score must be a whole number from ${MIN_SCORE} to ${MAX_SCORE}`;

/** A citizen's rating (评价). The domain checks it again (and refuses ID and phone numbers in comments). */
export class RatingDto {
  @ApiProperty({
    type: 'integer',
    minimum: MIN_SCORE,
    maximum: MAX_SCORE,
    description: '1 (poor) to 5 (excellent)',
  })
  // One check, one message (IsInt + Min + Max would repeat it); `===`, so '5' and 2.5 are refused.
  @IsIn(SCORES, { message: SCORE_MESSAGE })
  score!: number;

  @ApiPropertyOptional({
    maxLength: MAX_COMMENT_LENGTH,
    description: 'trimmed; kept with the rating but not shown publicly; no ID or phone numbers',
  })
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value))
  @ValidateIf((dto: RatingDto) => dto.comment !== undefined)
  @IsString({ message: 'comment must be a string' })
  @MaxLength(MAX_COMMENT_LENGTH, {
    message: `comment must be at most ${MAX_COMMENT_LENGTH} characters`,
  })
  comment?: string;
}
