import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileTypeFromBuffer } from 'file-type';
import type { Executor } from '../data/executor.js';
import { nowIso } from '../data/executor.js';
import { insertUpload } from '../data/uploads.js';
import { AppError } from '../errors.js';

/** Image types accepted, judged by the file's bytes, never by its name or the browser's word. */
const IMAGE_TYPES: Record<string, string> = {
  'image/png': 'png',
  'image/jpeg': 'jpg',
  'image/gif': 'gif',
  'image/webp': 'webp',
  'image/avif': 'avif',
};

export interface SavedUpload {
  id: number;
  url: string;
  markdown: string;
}

export function uploadsDir(dataDir: string): string {
  return join(dataDir, 'uploads');
}

export async function saveImage(
  db: Executor,
  dataDir: string,
  userId: number,
  file: { buffer: Buffer; filename: string },
): Promise<SavedUpload> {
  const type = await fileTypeFromBuffer(file.buffer);
  const ext = type ? IMAGE_TYPES[type.mime] : undefined;
  if (!type || !ext) {
    throw new AppError(415, 'unsupported_media_type', 'Upload a PNG, JPEG, GIF, WebP or AVIF image', { file: 'Not an image we accept' });
  }
  const now = new Date();
  const month = `${now.getUTCFullYear()}/${String(now.getUTCMonth() + 1).padStart(2, '0')}`;
  const name = `${randomBytes(8).toString('hex')}.${ext}`;
  const relative = `${month}/${name}`;
  await mkdir(join(uploadsDir(dataDir), month), { recursive: true });
  await writeFile(join(uploadsDir(dataDir), relative), file.buffer, { flag: 'wx' });
  const id = await insertUpload(db, {
    user_id: userId,
    path: relative,
    original_name: file.filename.slice(0, 200),
    mime_type: type.mime,
    size_bytes: file.buffer.length,
    created_at: nowIso(),
  });
  const alt = file.filename.replace(/\.[^.]*$/, '').replace(/[[\]\\]/g, '').slice(0, 100);
  const url = `/uploads/${relative}`;
  return { id, url, markdown: `![${alt}](${url})` };
}
