import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { TestApp } from '../helpers/app.js';
import { deliverDueMail, type DeliveryReport, type MailTransport } from '../../server/services/mail/sender.js';

/** One message as a real SMTP server received it: the envelope, the raw bytes, and parsed. */
export interface Received {
  envelope: { from: string; to: string[] };
  raw: string;
  mail: ParsedMail;
}

export interface Refusal {
  /** Which command to refuse. */
  at: 'rcpt' | 'data';
  code: number;
  message: string;
}

export interface TestSmtp {
  url: string;
  received: Received[];
  /** From now on, answer RCPT TO or the end of DATA with this error, until accept(). */
  refuse(refusal: Refusal): void;
  accept(): void;
  /** Messages whose envelope recipients include this address. */
  to(address: string): Received[];
  close(): Promise<void>;
}

const smtpError = (refusal: Refusal) => Object.assign(new Error(refusal.message), { responseCode: refusal.code });

/** A real SMTP server (the `smtp-server` package) on 127.0.0.1, on a free port. */
export async function startSmtp(): Promise<TestSmtp> {
  const received: Received[] = [];
  let refusal: Refusal | null = null;
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    disableReverseLookup: true,
    onRcptTo(_address, _session, callback) {
      callback(refusal?.at === 'rcpt' ? smtpError(refusal) : null);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        if (refusal?.at === 'data') return callback(smtpError(refusal));
        const raw = Buffer.concat(chunks).toString('utf8');
        // Recorded before the server answers 250, so a resolved sendMail means it is here.
        simpleParser(raw).then(
          (mail) => {
            const from = session.envelope.mailFrom as SMTPServerAddress | false;
            received.push({ envelope: { from: from ? from.address : '', to: session.envelope.rcptTo.map((r) => r.address) }, raw, mail });
            callback();
          },
          (err: Error) => callback(err),
        );
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return {
    url: `smtp://127.0.0.1:${port}`,
    received,
    refuse: (r) => {
      refusal = r;
    },
    accept: () => {
      refusal = null;
    },
    to: (address) => received.filter((r) => r.envelope.to.includes(address)),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Every http(s) link in a text. */
export const linksIn = (text: string) => [...text.matchAll(/https?:\/\/[^\s<>"]+/g)].map((m) => m[0]);

/** The raw value of a header, as it travelled. */
export function rawHeader(message: Received, name: string): string | undefined {
  return message.mail.headerLines.find((h) => h.key === name.toLowerCase())?.line.replace(/^[^:]+:\s*/, '').replace(/\r?\n\s+/g, ' ');
}

/** Follows an absolute link from a mail inside the app (its origin is the configured BASE_URL). */
export function pathOf(link: string): string {
  const url = new URL(link);
  return url.pathname + url.search;
}

/** The app's queue, for assertions. */
export const queueRows = (t: TestApp) => t.db.kysely.selectFrom('mail_queue').selectAll().orderBy('id').execute();

let ipCounter = 0;

/** Posts the public comment form as a visitor would (each from its own address: no rate limit). */
export async function postComment(t: TestApp, slug: string, fields: Record<string, string>) {
  ipCounter += 1;
  const res = await t.app.inject({
    method: 'POST',
    url: `/posts/${slug}/comments`,
    remoteAddress: `10.1.${Math.floor(ipCounter / 250)}.${ipCounter % 250}`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ name: 'Ann', email: 'ann@example.org', body: 'Smiles matter.', ...fields }).toString(),
  });
  const location = String(res.headers.location ?? '');
  const id = Number(/#comment-(\d+)$/.exec(location)?.[1]);
  return { res, id, held: location.includes('?held=') };
}

export const TEST_ENV = (smtp: TestSmtp) => ({ SMTP_URL: smtp.url, BASE_URL: 'http://library.test' });

/** Delivery rounds at `now` until nothing more is due (bounded). */
export async function deliverAll(t: TestApp, transport: MailTransport, now = new Date()): Promise<DeliveryReport> {
  const total: DeliveryReport = { sent: 0, retrying: 0, failed: 0 };
  for (let round = 0; round < 50; round++) {
    const report = await deliverDueMail(t.db.kysely, transport, now);
    total.sent += report.sent;
    total.retrying += report.retrying;
    total.failed += report.failed;
    if (report.sent + report.retrying + report.failed === 0) break;
  }
  return total;
}
