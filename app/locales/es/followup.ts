import type en from '../en/followup'

const followup: typeof en = {
  title: 'Próximos pasos',
  late: 'El plazo terminó sin respuesta.',
  sendAgainTitle: 'Enviar de nuevo a otro contacto',
  sendAgainHint: 'El mismo aviso se envía otra vez, a una dirección. El proveedor tiene un plazo nuevo, contado desde ahora.',
  chooseAddress: 'Una de las direcciones para avisos del proveedor',
  noOtherAddress: 'Todas las direcciones para avisos del directorio ya recibieron este aviso. Escribe otra dirección abajo.',
  chooseNone: 'Ninguna: escribiré una',
  otherAddress: 'O escribe otra dirección',
  otherHint: 'Por ejemplo, una dirección legal o de confianza y seguridad de su web.',
  sendAgain: 'Enviar de nuevo',
  escalateTitle: 'Escalar',
  noteLabel: '¿Qué hiciste?',
  noteHint: 'Por ejemplo: denunciado al proveedor de alojamiento. Se muestra en la cronología.',
  escalate: 'Marcar como escalado',
  ftcTitle: 'Expediente de queja para la FTC',
  ftcHint: 'Para una queja en TakeItDown.ftc.gov: el aviso, cada fecha y cada respuesta. Abrirlo queda registrado.',
  ftcOpen: 'Abrir el expediente para imprimir',
  ftcDownload: 'Descargar como archivo de texto',
  done: {
    sent_again: 'Enviado de nuevo. El proveedor tiene un plazo nuevo.',
    escalated: 'Marcado como escalado. Tu nota está en la cronología.',
  },
  timeline: {
    note: 'Nota: {{note}}',
    newDeadline: 'Plazo nuevo:',
  },
  dashboard: {
    followUp: 'Hacer el seguimiento en la página del caso',
    ftc: 'Expediente de queja para la FTC',
  },
  packet: {
    metaTitle: 'Expediente de queja para la FTC · Takeback',
    check: 'Revisa cada parte antes de presentarlo. Contiene el nombre con el que firmó la víctima, si firmó el aviso, así que guárdalo con cuidado y no lo dejes en una impresora compartida.',
    print: 'Imprimir',
    download: 'Descargar como archivo de texto',
    back: 'Volver al caso',
  },
}

export default followup

/** The follow-up messages written in English in app/models/notice-followup.server.ts. */
export const validation: Record<string, string> = {
  "Choose one of the provider's addresses, or type another.": 'Elige una de las direcciones del proveedor o escribe otra.',
  'This notice already went to that address. Choose another contact.': 'Este aviso ya se envió a esa dirección. Elige otro contacto.',
  'Write what you did to escalate, for example "reported to the hosting provider".':
    'Escribe qué hiciste para escalar, por ejemplo «denunciado al proveedor de alojamiento».',
  'The note can be at most 2,000 characters.': 'La nota puede tener como máximo 2000 caracteres.',
  'The note contains characters that cannot be stored; retype it.': 'La nota contiene caracteres que no se pueden guardar; vuelve a escribirla.',
  'This notice is not past its deadline, so there is nothing to follow up yet.': 'El plazo de este aviso no ha terminado, así que aún no hay nada que hacer.',
  'The survivor withdrew this case, so its notices are no longer pursued.': 'La víctima retiró este caso, así que ya no se da seguimiento a sus avisos.',
  'This case is closed, so its notices are no longer pursued.': 'Este caso está cerrado, así que ya no se da seguimiento a sus avisos.',
  'Every web address in this notice has been withdrawn, so there is nothing to send.':
    'Se retiraron todas las direcciones web de este aviso, así que no hay nada que enviar.',
  'This notice is not part of this case. Reload the page.': 'Este aviso no forma parte de este caso. Vuelve a cargar la página.',
  'An FTC complaint is only for requests under the TAKE IT DOWN Act; this notice was sent under another law.':
    'Una queja ante la FTC solo es para solicitudes conforme a la Ley TAKE IT DOWN; este aviso se envió conforme a otra ley.',
  'This request is not overdue, so there is no complaint to prepare for it.': 'Esta solicitud no está vencida, así que no hay queja que preparar.',
}
