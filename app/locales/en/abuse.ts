/** Refusals from the abuse limits. The English text is also the key the Spanish validation map uses. */
const abuse = {
  requestThrottled: 'Too many requests were sent from here. Wait an hour, then try again.',
}
export default abuse
