import { useTranslation } from 'react-i18next'

/**
 * Validation messages are written in English in the schemas, which both the
 * browser and the server run; this shows them in the page's language, using
 * the English sentence as the key of the `validation` namespace.
 */
export function useMessage() {
  const { t } = useTranslation()
  return (message: string) => t(message, { ns: 'validation', defaultValue: message, keySeparator: false, nsSeparator: false })
}
