// The case page's timeline: a provider's answer to a notice, in words a caseworker can act on.
const timeline = {
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
