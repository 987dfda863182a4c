import { describe, expect, it } from 'vitest'
import { getDb } from '../../app/lib/db.server'
import { appendAudit, verifyAuditChain } from '../../app/models/audit.server'

describe('audit log chain', () => {
  it('verifies an intact chain and finds the first edited entry', async () => {
    const db = getDb()
    for (let i = 0; i < 5; i++) {
      await db.transaction().execute((trx) => appendAudit(trx, { actorType: 'system', actorId: null, action: `test.${i}` }))
    }
    expect(await verifyAuditChain(db)).toEqual({ ok: true, entries: 5 })
    await db.updateTable('audit_log').set({ action: 'test.edited' }).where('seq', '=', 3).execute()
    expect(await verifyAuditChain(db)).toEqual({ ok: false, entries: 3, brokenAt: 3 })
  })

  it('keeps one unbroken chain under concurrent appends', async () => {
    const db = getDb()
    await db.deleteFrom('audit_log').execute()
    await db.updateTable('audit_head').set({ seq: 0, entry_hash: '0'.repeat(64) }).execute()
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        db.transaction().execute((trx) => appendAudit(trx, { actorType: 'system', actorId: null, action: `c.${i}` })),
      ),
    )
    expect(await verifyAuditChain(db)).toEqual({ ok: true, entries: 20 })
  })
})
