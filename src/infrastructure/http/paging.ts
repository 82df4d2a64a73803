import { BadRequestException } from '@nestjs/common';

export interface Paging {
  readonly limit: number;
  readonly offset: number;
}

function whole(raw: string | undefined, field: string, fallback: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^\d{1,9}$/.test(raw) || Number(raw) > max) {
    throw new BadRequestException({ message: `${field} must be a whole number from 0 to ${max}`, field });
  }
  return Number(raw);
}

export function paging(limit: string | undefined, offset: string | undefined): Paging {
  return { limit: whole(limit, 'limit', 100, 1000), offset: whole(offset, 'offset', 0, 100_000_000) };
}
