// The caseworker's next steps on an overdue notice, and the FTC complaint packet.
const followup = {
  title: 'Next steps',
  late: 'The deadline passed without an answer.',
  sendAgainTitle: 'Send again to another contact',
  sendAgainHint: 'The same notice goes out again, to one address. The provider gets a new deadline, counted from now.',
  chooseAddress: "One of the provider's notice addresses",
  noOtherAddress: "Every notice address in the directory has had this notice. Type another address below.",
  chooseNone: 'None: I will type one',
  otherAddress: 'Or type another address',
  otherHint: 'For example a legal or trust-and-safety address from their website.',
  sendAgain: 'Send again',
  escalateTitle: 'Escalate',
  noteLabel: 'What did you do?',
  noteHint: 'For example: reported to the hosting provider. It is shown on the timeline.',
  escalate: 'Mark as escalated',
  ftcTitle: 'FTC complaint packet',
  ftcHint: 'For a complaint at TakeItDown.ftc.gov: the notice, every time and every reply. Opening it is recorded.',
  ftcOpen: 'Open the printable packet',
  ftcDownload: 'Download as a text file',
  done: {
    sent_again: 'Sent again. The provider has a new deadline.',
    escalated: 'Marked as escalated. Your note is on the timeline.',
  },
  timeline: {
    note: 'Note: {{note}}',
    newDeadline: 'New deadline:',
  },
  dashboard: {
    followUp: 'Follow up on the case page',
    ftc: 'FTC complaint packet',
  },
  packet: {
    metaTitle: 'FTC complaint packet · Takeback',
    check: 'Check every part before you file it. It contains the name the survivor signed with, if they signed the notice, so keep it safe and do not leave it on a shared printer.',
    print: 'Print',
    download: 'Download as a text file',
    back: 'Back to the case',
  },
}

export default followup
