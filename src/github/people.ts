import type { Permission } from './github.js';

/** The repository permissions that may spend taskcap's budget (and whose comments count as the maintainers'). */
export const WRITER_PERMISSIONS: readonly Permission[] = ['admin', 'maintain', 'write'];

export const isWriter = (permission: Permission): boolean => WRITER_PERMISSIONS.includes(permission);

/** A bot account: GitHub says so in `type`, or the login carries the `[bot]` suffix apps act under. */
export const isBot = (login: string, type?: string): boolean => type === 'Bot' || login.endsWith('[bot]');
