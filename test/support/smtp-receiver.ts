// A real SMTP server on a loopback port (smtp-server), collecting what Kassa sends, so tests
// can read a mailed link and follow it. Plain SMTP: no STARTTLS, authentication optional.
import { type AddressInfo, createServer } from 'node:net';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { createTransport } from '../../src/notifications/delivery.js';

export interface ReceivedMail {
  /** Envelope recipients. */
  to: string[];
  from: string;
  subject: string;
  /** The decoded plain-text body. */
  text: string;
  headers: Record<string, string>;
  /** Attached files, decoded (mailparser). */
  attachments: { filename: string; contentType: string; content: Buffer }[];
  raw: string;
}

export interface SmtpReceiver {
  port: number;
  url: string;
  received: ReceivedMail[];
  /** Recipients (lower-case) the server refuses with 550. */
  reject: Set<string>;
  /** A nodemailer transport pointed at this server. */
  transport(): ReturnType<typeof createTransport>;
  /** Mails received so far to `address`. */
  to(address: string): ReceivedMail[];
  close(): Promise<void>;
}

export async function startSmtpReceiver(port = 0): Promise<SmtpReceiver> {
  const received: ReceivedMail[] = [];
  const reject = new Set<string>();
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onRcptTo(address, _session, callback) {
      if (reject.has(address.address.toLowerCase())) {
        const error = new Error('mailbox unavailable') as Error & { responseCode: number };
        error.responseCode = 550;
        return callback(error);
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const to = session.envelope.rcptTo.map((r) => r.address);
        const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
        if (!/^content-type: multipart\//im.test(raw.slice(0, raw.indexOf('\r\n\r\n')))) {
          received.push({ ...parseMessage(raw), attachments: [], raw, to, from });
          return callback();
        }
        // A mail with attachments: the real MIME parser takes it apart.
        simpleParser(raw).then(
          (mail) => {
            const headers = Object.fromEntries([...mail.headerLines].map((h) => [h.key, decodeWords(h.line.slice(h.line.indexOf(':') + 1).trim())]));
            const attachments = mail.attachments.map((a) => ({ filename: a.filename ?? '', contentType: a.contentType, content: a.content }));
            received.push({ subject: mail.subject ?? '', text: mail.text ?? '', headers, attachments, raw, to, from });
            callback();
          },
          (error: Error) => callback(error),
        );
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const address = server.server.address() as AddressInfo;
  const transports: ReturnType<typeof createTransport>[] = [];
  return {
    port: address.port,
    url: `smtp://127.0.0.1:${address.port}`,
    received,
    reject,
    transport() {
      const t = createTransport(`smtp://127.0.0.1:${address.port}`);
      transports.push(t);
      return t;
    },
    to: (who) => received.filter((m) => m.to.some((t) => t.toLowerCase() === who.toLowerCase())),
    close: async () => {
      for (const t of transports) t.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A loopback port nothing listens on (the mail server is "down"). */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Headers (unfolded, lower-case names, RFC 2047 words decoded) and the decoded text body. */
function parseMessage(raw: string): Pick<ReceivedMail, 'subject' | 'text' | 'headers'> {
  const split = raw.indexOf('\r\n\r\n');
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split + 4);
  const headers: Record<string, string> = {};
  for (const line of head.replace(/\r\n[ \t]+/g, ' ').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = decodeWords(line.slice(colon + 1).trim());
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const text =
    encoding === 'quoted-printable'
      ? Buffer.from(body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8')
      : encoding === 'base64'
        ? Buffer.from(body, 'base64').toString('utf8')
        : body;
  return { subject: headers.subject ?? '', text: text.replace(/\r\n/g, '\n'), headers };
}

function decodeWords(value: string): string {
  return value.replace(/=\?utf-8\?([BQ])\?([^?]*)\?=\s*/gi, (_m, kind: string, data: string) =>
    kind.toUpperCase() === 'B'
      ? Buffer.from(data, 'base64').toString('utf8')
      : Buffer.from(data.replace(/_/g, ' ').replace(/=([0-9A-F]{2})/gi, (_x, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8'),
  );
}
