// The case page's timeline: each event, and a provider's answer to a notice, in words a caseworker can act on.
const timeline = {
  // One per kind of notice_event the models write; the raw kind stays in the page as data-kind.
  event: {
    drafted: 'Notice drafted by a caseworker',
    sent: 'Notice sent by a caseworker',
    sent_again: 'Notice sent again, to another contact',
    escalated: 'Escalated by a caseworker',
    ftc_packet_opened: 'FTC complaint packet opened',
    reminder_sent: 'Reminder emailed to the provider',
    reminder_not_sent: 'Reminder not sent',
    overdue: 'Deadline passed without a final answer',
    acknowledged: 'Provider acknowledged the notice',
    removed: 'Provider reported a removal',
    not_found: 'Provider could not find the material',
    declined: 'Provider declined',
    not_ours: 'Provider says the website is not theirs',
    link_requested: 'Fresh answer link requested',
    hash_review_requested: 'Hash sent for review',
    hash_disabled: 'Hash switched off by a caseworker',
    hash_kept: 'Hash kept after review',
    hash_enabled: 'Hash switched on by a caseworker',
    closed: 'Notice closed',
  },
  reason: {
    no_usable_address: 'the provider has no address that can receive it.',
    all_locations_withdrawn: 'every web address in the notice was taken back.',
    case_deleted: 'the survivor deleted the case.',
  },
  answer: {
    acknowledged: 'The provider confirmed it has the notice.',
    removed_one: 'The provider says it removed the material at {{count}} web address.',
    removed_other: 'The provider says it removed the material at {{count}} web addresses.',
    not_found_one: 'The provider says it could not find the material at {{count}} web address.',
    not_found_other: 'The provider says it could not find the material at {{count}} web addresses.',
    remaining_one: '{{count}} web address still has no answer.',
    remaining_other: '{{count}} web addresses still have no answer.',
    declined: 'The provider declined to remove the material.',
    reason: 'Their reason:',
    not_ours: 'The provider says the website is not theirs.',
    contact: 'They suggest writing to:',
    noContact: 'They suggested no other contact.',
    link_requested: 'Someone asked for a fresh answer link. It was emailed to the provider’s notice address, not to the person who asked.',
  },
  via: {
    link: 'Through the link in the notice email.',
    api: 'Through the provider API.',
  },
}

export default timeline
