// How the network fuzzer damages a recorded PDU; shared by hostile-host.mjs (which sends it) and
// fuzz-network.test.ts (which feeds the same bytes to the codec directly).

/** Applies the mutations in order to a copy of `pdu`. */
export function mutate(pdu, mutations) {
  let bytes = Buffer.from(pdu);
  for (const m of mutations) {
    if (bytes.length === 0) break;
    switch (m.kind) {
      case 'flip':
        bytes[m.at % bytes.length] ^= 1 << m.bit;
        break;
      case 'set':
        bytes[m.at % bytes.length] = m.value;
        break;
      case 'field': {
        const at = m.at;
        if (at + m.width > bytes.length) break;
        if (m.width === 1) bytes.writeUInt8(m.value & 0xff, at);
        else if (m.width === 2) bytes.writeUInt16LE(m.value & 0xffff, at);
        else bytes.writeUInt32LE(m.value >>> 0, at);
        break;
      }
      case 'relative': {
        // A length field moved by a small amount from what it was (off-by-one and friends).
        if (m.at + m.width > bytes.length) break;
        if (m.width === 2) bytes.writeUInt16LE((bytes.readUInt16LE(m.at) + m.delta) & 0xffff, m.at);
        else bytes.writeUInt32LE((bytes.readUInt32LE(m.at) + m.delta) >>> 0, m.at);
        break;
      }
      case 'truncate':
        bytes = bytes.subarray(0, m.length % (bytes.length + 1));
        break;
      case 'append':
        bytes = Buffer.concat([bytes, Buffer.from(m.hex, 'hex')]);
        break;
      case 'drep':
        if (bytes.length > 4) bytes[4] = m.value;
        break;
    }
  }
  return bytes;
}
