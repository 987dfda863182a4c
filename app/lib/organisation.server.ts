/**
 * The organisation that sends removal notices and is their contact: ORG_NAME,
 * ORG_EMAIL, ORG_ADDRESS, ORG_PHONE and ORG_WEBSITE, checked with the rest of
 * the environment in env.server.ts.
 *
 * Every variable has an example default (EXAMPLE_ORGANISATION) so that a
 * first run works without setup. isExampleOrganisation() lets a page warn
 * before anyone sends a notice with it.
 */
import type { Organisation } from '../../emails/notice'
import { EXAMPLE_ORGANISATION, getEnv, type Env } from './env.server'

export type { Organisation }
export { EXAMPLE_ORGANISATION }

/** The organisation from the environment (the process's unless `env` is given). ORG_WEBSITE defaults to PUBLIC_URL. */
export function organisationFromEnv(env: Env = getEnv()): Organisation {
  return {
    name: env.ORG_NAME,
    email: env.ORG_EMAIL.toLowerCase(),
    postalAddress: env.ORG_ADDRESS,
    phone: env.ORG_PHONE ?? null,
    website: env.ORG_WEBSITE ?? env.PUBLIC_URL,
  }
}

/** True while any of name, email or address is still the example value: not fit for real notices. */
export function isExampleOrganisation(org: Organisation): boolean {
  return org.name === EXAMPLE_ORGANISATION.name || org.email === EXAMPLE_ORGANISATION.email || org.postalAddress === EXAMPLE_ORGANISATION.postalAddress
}
