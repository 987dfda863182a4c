import type { Kysely } from 'kysely'
import type { Database } from '../../db/schema'
import { GoneError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { hashPassword } from '../lib/passwords.server'
import { randomToken, tokenHash } from '../lib/tokens.server'
import { appendAudit } from './audit.server'

const SETUP_LINK_LIFETIME_MS = 24 * 60 * 60 * 1000

export async function countStaff(db: Kysely<Database>): Promise<number> {
  const row = await db.selectFrom('staff_user').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()
  return Number(row.n)
}

/**
 * While no staff account exists, make a fresh one-time link for the first
 * administrator and return its token; older unused links stop working. Returns
 * null once any staff account exists: from then on admins invite staff.
 */
export async function openSetupLink(db: Kysely<Database>, now = Date.now()): Promise<string | null> {
  return db.transaction().execute(async (trx) => {
    if ((await countStaff(trx)) > 0) return null
    await trx.deleteFrom('staff_invite').where('email', 'is', null).where('used_at', 'is', null).execute()
    const token = randomToken()
    await trx
      .insertInto('staff_invite')
      .values({
        id: newId(),
        email: null,
        role: 'admin',
        token_hash: tokenHash(token),
        created_by: null,
        expires_at: now + SETUP_LINK_LIFETIME_MS,
        used_at: null,
        created_at: now,
      })
      .execute()
    return token
  })
}

const SETUP_LINK_UNUSABLE =
  'This set-up link has been used or has expired. Restart Takeback to print a new one, or ask an administrator to invite you.'

/** The setup invite behind `token`, or a GoneError saying why it cannot be used. */
export async function requireSetupInvite(db: Kysely<Database>, token: string, now = Date.now()) {
  const invite = await db
    .selectFrom('staff_invite')
    .selectAll()
    .where('token_hash', '=', tokenHash(token))
    .where('email', 'is', null)
    .executeTakeFirst()
  if (!invite || invite.used_at !== null || invite.expires_at <= now || (await countStaff(db)) > 0) {
    throw new GoneError(SETUP_LINK_UNUSABLE)
  }
  return invite
}

/** Create the first administrator from a setup link. The link works once. */
export async function createFirstAdmin(
  db: Kysely<Database>,
  input: { token: string; email: string; password: string },
  now = Date.now(),
): Promise<{ id: string }> {
  await requireSetupInvite(db, input.token, now)
  // argon2 is slow on purpose: hash before the transaction so it holds no lock meanwhile.
  const passwordHash = await hashPassword(input.password)
  return db.transaction().execute(async (trx) => {
    const invite = await requireSetupInvite(trx, input.token, now)
    const taken = await trx.selectFrom('staff_user').select('id').where('email', '=', input.email).executeTakeFirst()
    if (taken) throw new ValidationError('email', 'An account with this email address already exists.')
    const id = newId()
    await trx
      .insertInto('staff_user')
      .values({
        id,
        email: input.email,
        role: invite.role,
        password_hash: passwordHash,
        totp_secret: null,
        totp_last_step: null,
        disabled_at: null,
        last_sign_in_at: null,
        created_at: now,
        updated_at: now,
      })
      .execute()
    await trx.updateTable('staff_invite').set({ used_at: now }).where('id', '=', invite.id).execute()
    await appendAudit(trx, { actorType: 'staff', actorId: id, action: 'staff.first_admin_created', objectType: 'staff_user', objectId: id }, now)
    return { id }
  })
}
