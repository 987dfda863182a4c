/**
 * Staff accounts as administrators manage them: invitations, disabling and
 * enabling, and resetting a second factor. The first administrator comes
 * from the set-up link instead (staff.server.ts).
 *
 * Every change ends in the audit log, in the same transaction, with ids and
 * roles only: addresses stay out of it.
 */
import type { Kysely, Transaction } from 'kysely'
import type { Database, StaffRole } from '../../db/schema'
import { staffInviteEmail } from '../../emails/staff-invite'
import { getEnv } from '../lib/env.server'
import { DomainError, GoneError, NotFoundError, ValidationError } from '../lib/errors.server'
import { newId } from '../lib/ids.server'
import { enqueueEmail } from '../lib/outbox.server'
import { hashPassword } from '../lib/passwords.server'
import { destroyAllStaffSessions, type StaffIdentity } from '../lib/staff-session.server'
import { randomToken, tokenHash } from '../lib/tokens.server'
import { appendAudit } from './audit.server'

export const INVITE_LIFETIME_HOURS = 72
const INVITE_LIFETIME_MS = INVITE_LIFETIME_HOURS * 60 * 60 * 1000

/** The account is not allowed to do this. */
export class ForbiddenError extends DomainError {
  constructor(message = 'Your account does not allow this.') {
    super(message, 403)
  }
}

/** Routes check the role already; the model checks again so no other caller can skip it. */
function assertAdmin(actor: StaffIdentity): void {
  if (actor.role !== 'admin') throw new ForbiddenError()
}

function audit(trx: Transaction<Database>, actor: StaffIdentity, action: string, objectId: string, now: number, detail?: Record<string, unknown>) {
  return appendAudit(trx, { actorType: 'staff', actorId: actor.id, action, objectType: 'staff_user', objectId, detail: detail ?? null }, now)
}

// ---------------------------------------------------------------------------
// Invitations

export interface InviteInput {
  email: string
  role: StaffRole
  /** Language of the invitation email. */
  language: 'en' | 'es'
}

/**
 * Invite someone by address and role: a single-use link valid 72 hours, its
 * email queued in the same transaction. An earlier unused invitation to the
 * same address stops working.
 */
export async function inviteStaff(db: Kysely<Database>, actor: StaffIdentity, input: InviteInput, now = Date.now()): Promise<{ inviteId: string }> {
  assertAdmin(actor)
  const email = input.email.trim().toLowerCase()
  const token = randomToken()
  const message = staffInviteEmail({
    link: `${getEnv().PUBLIC_URL}/staff/invite/accept?token=${token}`,
    role: input.role,
    invitedBy: actor.email,
    hoursValid: INVITE_LIFETIME_HOURS,
    language: input.language,
  })
  return db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom('staff_user').select('id').where('email', '=', email).executeTakeFirst()
    if (taken) throw new ValidationError('email', 'staff.admin.errors.accountExists')
    await trx.deleteFrom('staff_invite').where('email', '=', email).where('used_at', 'is', null).execute()
    const inviteId = newId()
    await trx
      .insertInto('staff_invite')
      .values({ id: inviteId, email, role: input.role, token_hash: tokenHash(token), created_by: actor.id, expires_at: now + INVITE_LIFETIME_MS, used_at: null, created_at: now })
      .execute()
    await enqueueEmail(trx, { kind: 'staff.invite', to: email, ...message }, now)
    await appendAudit(
      trx,
      { actorType: 'staff', actorId: actor.id, action: 'staff.invited', objectType: 'staff_invite', objectId: inviteId, detail: { role: input.role } },
      now,
    )
    return { inviteId }
  })
}

/** An invitation that can still be used, or GoneError. Reading it does not use it. */
export async function findUsableInvite(db: Kysely<Database>, token: string, now = Date.now()): Promise<{ id: string; email: string; role: StaffRole }> {
  const row = token
    ? await db
        .selectFrom('staff_invite')
        .select(['id', 'email', 'role'])
        .where('token_hash', '=', tokenHash(token))
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        // Set-up links (no address) belong to /setup.
        .where('email', 'is not', null)
        .executeTakeFirst()
    : undefined
  if (!row?.email) throw new GoneError('staff.invite.gone')
  return { id: row.id, email: row.email, role: row.role }
}

/**
 * Use an invitation: create the account with the chosen password. The second
 * factor is set up at the first sign-in. The link works once.
 */
export async function acceptInvite(db: Kysely<Database>, input: { token: string; password: string }, now = Date.now()): Promise<{ id: string; email: string }> {
  await findUsableInvite(db, input.token, now)
  // argon2 is slow on purpose: hash before the transaction so it holds no lock meanwhile.
  const passwordHash = await hashPassword(input.password)
  return db.transaction().execute(async (trx) => {
    const invite = await findUsableInvite(trx, input.token, now)
    // Spend the link first, conditionally: of two racing requests, one wins.
    const spent = await trx.updateTable('staff_invite').set({ used_at: now }).where('id', '=', invite.id).where('used_at', 'is', null).executeTakeFirst()
    if (Number(spent.numUpdatedRows) !== 1) throw new GoneError('staff.invite.gone')
    const taken = await trx.selectFrom('staff_user').select('id').where('email', '=', invite.email).executeTakeFirst()
    if (taken) throw new GoneError('staff.invite.gone')
    const id = newId()
    await trx
      .insertInto('staff_user')
      .values({
        id,
        email: invite.email,
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
    await appendAudit(
      trx,
      { actorType: 'staff', actorId: id, action: 'staff.invite_accepted', objectType: 'staff_invite', objectId: invite.id, detail: { role: invite.role } },
      now,
    )
    return { id, email: invite.email }
  })
}

// ---------------------------------------------------------------------------
// The list administrators see

export interface StaffAccountView {
  id: string
  email: string
  role: StaffRole
  enrolled: boolean
  disabled: boolean
  lastSignInAt: number | null
  createdAt: number
}

export interface OpenInviteView {
  id: string
  email: string
  role: StaffRole
  expiresAt: number
}

export async function listStaffAccounts(db: Kysely<Database>, actor: StaffIdentity): Promise<StaffAccountView[]> {
  assertAdmin(actor)
  const rows = await db
    .selectFrom('staff_user')
    .select(['id', 'email', 'role', 'totp_secret', 'disabled_at', 'last_sign_in_at', 'created_at'])
    .orderBy('email')
    .execute()
  return rows.map((r) => ({
    id: r.id,
    email: r.email,
    role: r.role,
    enrolled: r.totp_secret !== null,
    disabled: r.disabled_at !== null,
    lastSignInAt: r.last_sign_in_at,
    createdAt: r.created_at,
  }))
}

export async function listOpenInvites(db: Kysely<Database>, actor: StaffIdentity, now = Date.now()): Promise<OpenInviteView[]> {
  assertAdmin(actor)
  const rows = await db
    .selectFrom('staff_invite')
    .select(['id', 'email', 'role', 'expires_at'])
    .where('email', 'is not', null)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .orderBy('created_at', 'desc')
    .execute()
  return rows.map((r) => ({ id: r.id, email: r.email ?? '', role: r.role, expiresAt: r.expires_at }))
}

// ---------------------------------------------------------------------------
// Changes to an account

async function requireAccount(trx: Transaction<Database>, staffId: string) {
  const row = await trx.selectFrom('staff_user').select(['id', 'disabled_at']).where('id', '=', staffId).executeTakeFirst()
  if (!row) throw new NotFoundError('staff.admin.errors.notFound')
  return row
}

/**
 * Disable or enable an account. Disabling ends its sessions in the same
 * transaction. An administrator cannot disable themselves, so at least one
 * enabled administrator always remains.
 */
export async function setStaffDisabled(db: Kysely<Database>, actor: StaffIdentity, staffId: string, disabled: boolean, now = Date.now()): Promise<void> {
  assertAdmin(actor)
  if (disabled && staffId === actor.id) throw new ValidationError('staffId', 'staff.admin.errors.selfDisable')
  await db.transaction().execute(async (trx) => {
    const row = await requireAccount(trx, staffId)
    if ((row.disabled_at !== null) === disabled) return
    await trx
      .updateTable('staff_user')
      .set({ disabled_at: disabled ? now : null, updated_at: now })
      .where('id', '=', staffId)
      .execute()
    if (disabled) await destroyAllStaffSessions(trx, staffId)
    await audit(trx, actor, disabled ? 'staff.disabled' : 'staff.enabled', staffId, now)
  })
}

/**
 * Forget an account's second factor (a lost or replaced phone): the person
 * enrols a new app at their next sign-in. Their sessions end too, since the
 * lost phone may be in someone else's hands.
 */
export async function resetSecondFactor(db: Kysely<Database>, actor: StaffIdentity, staffId: string, now = Date.now()): Promise<void> {
  assertAdmin(actor)
  await db.transaction().execute(async (trx) => {
    await requireAccount(trx, staffId)
    await trx
      .updateTable('staff_user')
      .set({ totp_secret: null, totp_last_step: null, updated_at: now })
      .where('id', '=', staffId)
      .execute()
    await destroyAllStaffSessions(trx, staffId)
    await audit(trx, actor, 'staff.totp_reset', staffId, now)
  })
}
