// Hash review: the caseworkers' review queue (app/routes/staff.review.tsx), the
// per-hash switch on the case page, and the caps on new hashes.
const review = {
  nav: 'Review',
  navCount: 'Review ({{count}})',
  meta: 'Hashes to review · Takeback',
  title: 'Hashes to review',
  lead: 'Two or more platforms checked a match for each of these hashes and did not remove the content, and none removed it. The hash may match images that are not the survivor’s. Switch it off to take it out of the hash list, or keep it.',
  none: 'Nothing to review.',
  hash: 'Hash',
  media: { image: 'Picture', video: 'Video' },
  kind: { pdq: 'PDQ', md5: 'MD5', sha256: 'SHA-256', vpdq: 'vPDQ frame' },
  file: 'File {{item}}',
  frameAt: 'frame at {{seconds}} s',
  status: { active: 'Active', withdrawn: 'Withdrawn', disabled: 'Switched off' },
  feedbackTitle: 'What platforms said',
  feedback: {
    NotBlocked: 'checked it and did not remove the content',
    Blocked: 'removed the content',
    PendingReview: 'found a match and is checking it',
    other: 'sent "{{value}}"',
  },
  openCase: 'Open the case',
  disable: 'Switch off this hash',
  keep: 'Keep this hash',
  done: {
    disabled: 'The hash is switched off. Platforms are told to delete it, and it no longer matches.',
    kept: 'The hash is kept. The same feedback will not send it here again.',
  },
  switchTitle: 'Use in the hash list',
  switchOff: 'Switch off',
  switchOn: 'Switch on again',
  // Each button's accessible name: many rows share the visible words, so the name says which hash. It starts with the visible words.
  switchOffLabel: "Switch off file {{item}}'s {{kind}} hash",
  switchOnLabel: "Switch on again: file {{item}}'s {{kind}} hash",
  switchedOff: 'The hash is switched off. Platforms are told to delete it.',
  switchedOn: 'The hash is in use again. Platforms get it with their next update.',
  reviewPending: 'waiting for review',
  caps: {
    perCase:
      'This case already has {{count}} hashes, and these files would add {{adding}}; the most a case can hold is {{max}}. Contact us if you need more.',
    perDay: 'We have taken in as many new hashes as we can today, so these files were not added. Try again tomorrow, or contact us if it is urgent.',
  },
}

export default review
