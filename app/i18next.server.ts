import { RemixI18Next } from 'remix-i18next/server'
import { fallbackLanguage, i18nOptions, supportedLanguages } from './i18n'

/**
 * The language of a request: `?lng=` when the person chose one, otherwise the
 * browser's Accept-Language. Never a cookie: public pages set none.
 */
export const i18next = new RemixI18Next({
  detection: { supportedLanguages, fallbackLanguage, searchParamKey: 'lng', order: ['searchParams', 'header'] },
  i18next: i18nOptions,
})
