import { Injectable, NotFoundException, type PipeTransform } from '@nestjs/common';

const ID = /^[A-Za-z0-9-]{1,64}$/;

/** Ids in paths: anything that cannot be an id is simply not found. */
@Injectable()
export class EntityIdPipe implements PipeTransform<string, string> {
  transform(value: string): string {
    if (!ID.test(value))
      throw new NotFoundException(`nothing has the id ${JSON.stringify(value.slice(0, 64))}`);
    return value;
  }
}
