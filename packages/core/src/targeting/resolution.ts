import type { FlagValue } from './schemas';

/** OpenFeature's resolution reasons, plus FLAG_NOT_FOUND as the origin answers it. */
export type ResolutionReason =
  | 'STATIC'
  | 'DEFAULT'
  | 'TARGETING_MATCH'
  | 'SPLIT'
  | 'DISABLED'
  | 'ERROR'
  | 'FLAG_NOT_FOUND';
export type ResolutionErrorCode = 'FLAG_NOT_FOUND' | 'TYPE_MISMATCH' | 'PARSE_ERROR' | 'INVALID_CONTEXT' | 'GENERAL';
export type ResolutionMetadata = Readonly<Record<string, string | number | boolean>>;

/** What evaluating one flag for one context answers. Shared and frozen: never mutate one. */
export interface Resolution {
  readonly value: FlagValue;
  readonly variant: string;
  readonly reason: ResolutionReason;
  readonly errorCode?: ResolutionErrorCode;
  readonly errorMessage?: string;
  readonly metadata?: ResolutionMetadata;
}

export function errorResolution(errorCode: ResolutionErrorCode, errorMessage: string): Resolution {
  const reason: ResolutionReason = errorCode === 'FLAG_NOT_FOUND' ? 'FLAG_NOT_FOUND' : 'ERROR';
  return Object.freeze({ value: null, variant: '', reason, errorCode, errorMessage });
}

export const FLAG_NOT_FOUND_RESOLUTION = errorResolution('FLAG_NOT_FOUND', 'flag not found');
