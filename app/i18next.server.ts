import { createInstance, type i18n, type TFunction } from 'i18next'
import { initReactI18next } from 'react-i18next'
import { RemixI18Next } from 'remix-i18next/server'
import { fallbackLanguage, i18nOptions, supportedLanguages } from './i18n'

/**
 * The language of a request: `?lng=` when the person chose one, otherwise the
 * browser's Accept-Language. Never a cookie: public pages set none.
 */
const detector = new RemixI18Next({
  detection: { supportedLanguages, fallbackLanguage, searchParamKey: 'lng', order: ['searchParams', 'header'] },
  i18next: i18nOptions,
})

/**
 * One ready i18next instance per language, made at first use and shared by
 * every request in that language, for loaders and for rendering. All texts
 * are bundled (app/i18n.ts), so an instance never loads anything later, and
 * nothing on the server changes its language (the browser's
 * useChangeLanguage runs in an effect, which the server never runs). Before,
 * each page made two (remix-i18next's getFixedT in the loader, and a fresh
 * one for the render), and making them showed in a CPU profile of the
 * status page under load (docs/performance.md). The detector only
 * answers supported languages, so this holds at most one per file in
 * app/locales.
 */
const instances = new Map<string, Promise<i18n>>()

export function i18nFor(language: string): Promise<i18n> {
  let ready = instances.get(language)
  if (!ready) {
    const instance = createInstance()
    ready = instance
      .use(initReactI18next)
      .init({ ...i18nOptions, lng: language, initImmediate: false })
      .then(() => instance)
    instances.set(language, ready)
  }
  return ready
}

export const i18next = {
  getLocale: (request: Request): Promise<string> => detector.getLocale(request),
  async getFixedT(request: Request, namespace: 'common' | 'validation' = 'common'): Promise<TFunction> {
    const language = await detector.getLocale(request)
    return (await i18nFor(language)).getFixedT(language, namespace)
  },
}
