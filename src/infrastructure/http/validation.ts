import {
  BadRequestException,
  ValidationPipe,
  type ArgumentMetadata,
  type PipeTransform,
  type ValidationError,
} from '@nestjs/common';
import { dtoChecker } from './dto-checker';

function messages(error: ValidationError, path: string): string[] {
  const field = path ? `${path}.${error.property}` : error.property;
  const own = Object.values(error.constraints ?? {}).map((message) =>
    // class-validator names the property; make nested paths explicit too.
    message.startsWith(error.property)
      ? field + message.slice(error.property.length)
      : `${field}: ${message}`,
  );
  return [...own, ...(error.children ?? []).flatMap((child) => messages(child, field))];
}

function firstField(error: ValidationError, path = ''): string {
  const field = path ? `${path}.${error.property}` : error.property;
  if (error.constraints || !error.children?.length) return field;
  return firstField(error.children[0]!, field);
}

/**
 * ValidationPipe, with the valid bodies of compiled DTO classes answered without it (dto-checker.ts):
 * a body the checker is not sure of, and so every invalid one, still goes to ValidationPipe, which
 * answers it (and words its refusal) as always.
 */
export class DtoValidationPipe implements PipeTransform {
  constructor(private readonly validation: ValidationPipe) {}

  transform(value: unknown, metadata: ArgumentMetadata): unknown {
    // ValidationPipe leaves a custom decorator's value as it is (validateCustomDecorators is off).
    if (metadata.type === 'custom') return value;
    if (metadata.type === 'body' && typeof metadata.metatype === 'function') {
      const built = dtoChecker(metadata.metatype as new () => object)?.(value);
      if (built !== undefined) return built;
    }
    return this.validation.transform(value, metadata);
  }
}

/** DTOs are validated strictly: unknown fields, wrong types and bad values get a 400 naming the field. */
export function createValidationPipe(): DtoValidationPipe {
  return new DtoValidationPipe(createStandardValidationPipe());
}

/** The validation itself (class-validator), as every refusal is worded. */
export function createStandardValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    forbidUnknownValues: true,
    exceptionFactory: (errors: ValidationError[]) =>
      new BadRequestException({
        message: errors.flatMap((error) => messages(error, '')).join('; '),
        field: errors[0] ? firstField(errors[0]) : undefined,
      }),
  });
}
