import { Controller, Get, NotFoundException, Param, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import type { Response } from 'express';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * Where the dashboard's built assets are: `dist/dashboard` of the repository (written by
 * `npm run build:dashboard`, part of `npm run build`). This file runs as
 * `dist/apps/gateway/src/ops/dashboard-page.controller.js`, or from the sources under jest.
 */
export const DASHBOARD_ASSETS_DIR = resolve(
  __dirname,
  '..',
  '..',
  '..',
  '..',
  ...(__dirname.includes(`${join('dist', 'apps')}`) ? [] : ['dist']),
  'dashboard',
);

/** The files the page consists of, with their content types (nothing else is served). */
const ASSETS: Readonly<Record<string, string>> = {
  'app.js': 'text/javascript; charset=utf-8',
  'app.js.map': 'application/json; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
};

/**
 * `GET /dashboard`: the ops dashboard, a static page (built from apps/gateway/dashboard) that signs in with a
 * bearer token and then reads the query API, `/ops/status/stream` and `/live/{space}` with it. The page
 * itself needs no token (it holds no data).
 */
@ApiExcludeController()
@Controller('dashboard')
export class DashboardPageController {
  @Get()
  page(@Res() res: Response): void {
    this.send(res, 'index.html', 'text/html; charset=utf-8');
  }

  @Get('assets/:file')
  asset(@Param('file') file: string, @Res() res: Response): void {
    const type = ASSETS[file];
    if (!type) throw new NotFoundException(`no dashboard asset ${file}`);
    this.send(res, file, type);
  }

  private send(res: Response, file: string, type: string): void {
    const path = join(DASHBOARD_ASSETS_DIR, file);
    if (!existsSync(path))
      throw new NotFoundException(`the dashboard is not built (npm run build): ${file} missing`);
    res.setHeader('Cache-Control', 'no-cache');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.type(type).sendFile(path);
  }
}
