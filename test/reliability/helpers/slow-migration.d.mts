import type { Migration } from '../../../src/store/schema.js';

export declare const NEXT_MIGRATION: Migration;
