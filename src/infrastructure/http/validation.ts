import { BadRequestException, ValidationPipe, type ValidationError } from '@nestjs/common';

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

/** DTOs are validated strictly: unknown fields, wrong types and bad values get a 400 naming the field. */
export function createValidationPipe(): ValidationPipe {
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
