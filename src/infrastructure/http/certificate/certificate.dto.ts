import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, ValidateIf } from 'class-validator';

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
