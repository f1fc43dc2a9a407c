/**
 * Dates are stored in UTC and shown in the site's time zone (a setting), using Intl only.
 */

function zoneOffsetMs(utcMs: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit',
  }).formatToParts(new Date(utcMs));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

/** "2026-11-23T14:30" in the site's zone → ISO UTC, or null when malformed. */
export function localInputToIso(local: string, timeZone: string): string | null {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local.trim());
  if (!m) return null;
  const [, y, mo, d, h, mi, s] = m.map(Number) as number[];
  const wall = Date.UTC(y!, mo! - 1, d!, h!, mi!, s || 0);
  if (Number.isNaN(wall)) return null;
  // Two passes settle the offset across a daylight-saving change.
  let utc = wall - zoneOffsetMs(wall, timeZone);
  utc = wall - zoneOffsetMs(utc, timeZone);
  return new Date(utc).toISOString();
}

/** ISO UTC → "2026-11-23T14:30" in the site's zone, for a datetime-local field. */
export function isoToLocalInput(iso: string | null, timeZone: string): string {
  if (!iso) return '';
  const ms = Date.parse(iso);
  const local = new Date(ms + zoneOffsetMs(ms, timeZone));
  return local.toISOString().slice(0, 16);
}

/**
 * Building an Intl.DateTimeFormat costs far more than using one (tens of microseconds, and a
 * 200-comment page formats 200 dates), so each (kind, zone) pair is built once.
 */
const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(kind: 'date' | 'time', timeZone: string): Intl.DateTimeFormat {
  const key = `${kind}|${timeZone}`;
  let format = formatters.get(key);
  if (!format) {
    format =
      kind === 'date'
        ? new Intl.DateTimeFormat('en-US', { timeZone, year: 'numeric', month: 'long', day: 'numeric' })
        : new Intl.DateTimeFormat('en-US', { timeZone, hour: 'numeric', minute: '2-digit', hour12: true });
    formatters.set(key, format);
  }
  return format;
}

/** "July 29, 2009" */
export function formatDate(iso: string | null, timeZone: string): string {
  if (!iso) return '';
  return formatter('date', timeZone).format(new Date(iso));
}

/** "July 29, 2009 at 1:15 am" */
export function formatDateTime(iso: string | null, timeZone: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  const time = formatter('time', timeZone)
    .format(date)
    .replace(/\s?(AM|PM)$/, (_, ampm: string) => ' ' + ampm.toLowerCase());
  return `${formatDate(iso, timeZone)} at ${time}`;
}
