/**
 * A 5×5 mirrored identicon drawn from a hash, so avatars need no third party (no Gravatar).
 * The key is already a keyed hash of the email; nothing here can lead back to it.
 */
export function avatarSvg(key: string): string {
  const bytes = Buffer.from(key.padEnd(32, '0').slice(0, 32), 'hex');
  const hue = ((bytes[0]! << 8) | bytes[1]!) % 360;
  const fg = `hsl(${hue} 55% 45%)`;
  const bg = `hsl(${hue} 40% 92%)`;
  const cells: string[] = [];
  for (let row = 0; row < 5; row++) {
    for (let col = 0; col < 3; col++) {
      const bit = (bytes[2 + row]! >> col) & 1;
      if (!bit) continue;
      cells.push(`<rect x="${col + 1}" y="${row + 1}" width="1" height="1"/>`);
      if (col < 2) cells.push(`<rect x="${5 - col}" y="${row + 1}" width="1" height="1"/>`);
    }
  }
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 7 7" width="40" height="40" shape-rendering="crispEdges">` +
    `<rect width="7" height="7" fill="${bg}"/><g fill="${fg}">${cells.join('')}</g></svg>`
  );
}
