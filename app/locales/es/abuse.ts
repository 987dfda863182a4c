import type en from '../en/abuse'
import enAbuse from '../en/abuse'

const abuse: typeof en = {
  requestThrottled: 'Se enviaron demasiadas solicitudes desde aquí. Espera una hora y vuelve a intentarlo.',
}

/** Spanish for the English refusals, as useMessage looks them up. */
export const validation: Record<string, string> = {
  [enAbuse.requestThrottled]: abuse.requestThrottled,
}
export default abuse
