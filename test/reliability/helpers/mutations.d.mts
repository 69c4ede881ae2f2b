export type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'field'; at: number; width: 1 | 2 | 4; value: number }
  | { kind: 'relative'; at: number; width: 2 | 4; delta: number }
  | { kind: 'truncate'; length: number }
  | { kind: 'append'; hex: string }
  | { kind: 'drep'; value: number };

export declare function mutate(pdu: Uint8Array, mutations: readonly Mutation[]): Buffer;
