import type { FastifyInstance } from 'fastify';
import { saveImage } from '../../services/uploads.js';
import { AppError } from '../../errors.js';

export default async function uploadRoutes(app: FastifyInstance) {
  const uploader = app.requireRole('upload');

  /**
   * The editor's image upload. Scripts get JSON ({url, markdown}); without JavaScript the
   * form posts here and gets a page showing the Markdown to paste.
   */
  app.post('/uploads', { preHandler: [uploader, app.csrfProtection] }, async (request, reply) => {
    const file = await request.file();
    if (!file) throw new AppError(422, 'validation_failed', 'Choose an image to upload', { file: 'Choose an image' });
    const buffer = await file.toBuffer();
    if (buffer.length === 0) throw new AppError(422, 'validation_failed', 'The file is empty', { file: 'The file is empty' });
    const saved = await saveImage(app.db.kysely, app.config.dataDir, request.user!.id, { buffer, filename: file.filename });
    if ((request.headers.accept ?? '').includes('application/json')) return reply.code(201).send(saved);
    return reply.page('admin/uploaded', { title: 'Image uploaded', upload: saved }, 201);
  });
}
