import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

/**
 * The console's build: one static bundle in console/dist, served by `npm start` at `/` and in AWS
 * from S3 behind CloudFront. No inline script or style is emitted, so the pages run under a
 * Content-Security-Policy without 'unsafe-inline'.
 */
export default defineConfig({
  root,
  base: '/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    sourcemap: false,
    chunkSizeWarningLimit: 4096,
  },
});
