/**
 * Languages. Each file in app/locales is one language, named by its code;
 * adding a language is adding one file (TypeScript checks it has every key
 * that English has).
 */
import type { InitOptions } from 'i18next'
import type en from './locales/en'

export type Messages = typeof en
type LocaleModule = {
  default: Messages
  dir?: 'ltr' | 'rtl'
  name: string
  /** Validation messages, keyed by their English text (see app/components/use-message.ts). */
  validation?: Record<string, string>
}

const modules = import.meta.glob<LocaleModule>('./locales/*.ts', { eager: true })

export const locales = Object.fromEntries(
  Object.entries(modules).map(([file, mod]) => [file.replace(/^.*\/(.+)\.ts$/, '$1'), mod]),
) as Record<string, LocaleModule>

export const supportedLanguages = Object.keys(locales).sort((a, b) => (a === 'en' ? -1 : b === 'en' ? 1 : a.localeCompare(b)))
export const fallbackLanguage = 'en'

export const resources = Object.fromEntries(
  Object.entries(locales).map(([lng, mod]) => [lng, { common: mod.default, validation: mod.validation ?? {} }]),
)

export const i18nOptions: InitOptions = {
  supportedLngs: supportedLanguages,
  fallbackLng: fallbackLanguage,
  defaultNS: 'common',
  ns: ['common', 'validation'],
  resources,
  interpolation: { escapeValue: false }, // React escapes
}

export function languageDirection(lng: string): 'ltr' | 'rtl' {
  return locales[lng]?.dir ?? 'ltr'
}
