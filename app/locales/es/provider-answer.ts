import type en from '../en/provider-answer'

const providerAnswer: typeof en = {
  metaTitle: 'Responder a un aviso de retirada',
  title: 'Aviso de retirada para {{provider}}',
  lead: 'Esta página muestra un aviso de retirada que se te envió y lo que consta sobre él. Abrirla no cambia nada; tu respuesta solo se registra cuando pulsas uno de los botones de abajo.',
  leadNoButtons: 'Esta página muestra un aviso de retirada que se te envió y lo que consta sobre él. Abrirla no cambia nada.',
  fields: {
    reference: 'Referencia',
    law: 'Enviado conforme a',
    sent: 'Enviado',
    deadline: 'Plazo',
    state: 'Registrado hasta ahora',
  },
  regime: {
    takeitdown: 'Ley TAKE IT DOWN de EE. UU. (47 U.S.C. 223a)',
    dmca: 'DMCA de EE. UU., 17 U.S.C. 512(c)',
    dsa: 'Reglamento de Servicios Digitales de la UE, artículo 16',
    generic: 'Tus condiciones de servicio',
  },
  asked: {
    title: 'Qué se te pide',
    takeitdown: 'Retirar las imágenes íntimas de las direcciones de abajo lo antes posible y en un máximo de 48 horas desde que recibiste el aviso, y hacer esfuerzos razonables para retirar las copias idénticas conocidas.',
    dmca: 'Retirar el material de las direcciones de abajo, o bloquear el acceso a él, con rapidez.',
    dsa: 'Confirmar que recibiste el aviso, decidir sobre él de forma diligente, oportuna y objetiva, y comunicarnos tu decisión y las vías para impugnarla.',
    generic: 'Retirar las imágenes íntimas de las direcciones de abajo conforme a tus condiciones de servicio, que prohíben compartirlas sin consentimiento.',
  },
  timeLeft: {
    days: 'quedan {{days}} días y {{hours}} horas',
    hours: 'quedan {{hours}} horas',
    underHour: 'queda menos de una hora',
    passed: 'el plazo ya ha vencido',
  },
  state: {
    draft: 'No enviado',
    queued: 'Enviado, sin respuesta todavía',
    sent: 'Enviado, sin respuesta todavía',
    acknowledged: 'Confirmaste que lo recibiste',
    removed: 'Retirado',
    partially_removed: 'Retirado de algunas direcciones',
    not_found: 'No encontrado',
    declined: 'Rechazado',
    not_ours: 'No es tuyo',
    overdue: 'Vencido: sin respuesta en plazo',
    escalated: 'Vencido y escalado',
    closed: 'Cerrado: no hace falta nada más',
  },
  urlsTitle: 'Direcciones web de este aviso',
  outcome: {
    removed: 'retirado',
    not_found: 'no encontrado',
    kept: 'se mantiene (rechazado)',
    none: 'sin respuesta todavía',
  },
  finalNote: 'Este aviso ya tiene su respuesta final. No hace falta nada más por tu parte.',
  answerTitle: 'Tu respuesta',
  acknowledge: {
    title: 'Lo hemos recibido',
    hint: 'Dinos que tienes el aviso y que estás trabajando en él. Más tarde puedes responder abajo.',
    button: 'Confirmar que lo recibimos',
  },
  removed: {
    title: 'Retirado',
    hint: 'Marca las direcciones que retiraste. Al principio están todas marcadas.',
    button: 'Registrar como retirado',
  },
  notFound: {
    title: 'No encontrado',
    hint: 'Marca las direcciones donde el material no estaba cuando lo buscaste.',
    button: 'Registrar como no encontrado',
  },
  declined: {
    title: 'Rechazado',
    hint: 'Si no vas a retirar el material, explica por qué. Pasamos tu motivo a la persona que lleva el caso.',
    reason: 'Tu motivo',
    button: 'Registrar como rechazado',
  },
  notOurs: {
    title: 'No es nuestro',
    hint: 'Si estas direcciones no están en un servicio que gestionas, dínoslo, y a quién dirigirnos si lo sabes.',
    contact: 'A quién dirigirnos (opcional)',
    contactHint: 'Un correo o una dirección web, por ejemplo abuse@example.com o https://example.com/denuncias.',
    button: 'Registrar como no nuestro',
  },
  done: {
    title: 'Tu respuesta está registrada',
    acknowledge: 'Hemos registrado que recibiste el aviso.',
    removed: 'Hemos registrado que retiraste el material de las direcciones que marcaste.',
    not_found: 'Hemos registrado que el material no estaba en las direcciones que marcaste.',
    declined: 'Hemos registrado que lo rechazas, con tu motivo.',
    not_ours: 'Hemos registrado que estas direcciones no son tuyas.',
    unchanged: 'Esto ya constaba, así que nada ha cambiado.',
    nextOpen: 'La persona que lleva el caso ya ve tu respuesta. Vuelve a responder en esta página cuando hayas actuado sobre el resto.',
    nextFinal: 'La persona que lleva el caso ya ve tu respuesta, y la persona afectada ve el resultado. No hace falta nada más salvo que te escribamos.',
  },
  conflict: 'Esta respuesta contradice lo que ya consta para este aviso. Si hay que cambiarlo, responde al correo del aviso.',
  spent: {
    usedTitle: 'Este enlace ya se ha usado',
    expiredTitle: 'Este enlace ha caducado',
    lead: 'Todavía puedes ver el aviso y lo que consta. Para responder, pide un enlace nuevo: lo enviamos al correo para avisos que tenemos de ti.',
    button: 'Enviarme un enlace nuevo',
    sent: 'Si este aviso todavía admite respuesta, hay un enlace nuevo en camino al correo para avisos que tenemos de ti. Puede tardar unos minutos; mira también en la carpeta de spam.',
  },
  reference: {
    title: 'Aviso de retirada {{reference}}',
    lead: 'Para ver y responder este aviso, abre el enlace del correo del aviso. Si ya no lo tienes o ha caducado, pide uno nuevo: lo enviamos al correo para avisos que tenemos de ti.',
  },
}

export default providerAnswer

/** Validation messages of the answer forms, keyed by their English text (see app/models/notice-answer.server.ts). */
export const validation: Record<string, string> = {
  'Choose at least one web address.': 'Elige al menos una dirección web.',
  'Say why you decline to remove the material.': 'Explica por qué no vas a retirar el material.',
  'The reason can be at most 2,000 characters.': 'El motivo puede tener como máximo 2.000 caracteres.',
  'The reason contains characters that cannot be stored; retype it.': 'El motivo contiene caracteres que no se pueden guardar; vuelve a escribirlo.',
  'Enter an email address (name@example.org) or a web address starting with https://.':
    'Escribe un correo (nombre@example.org) o una dirección web que empiece por https://.',
  'The suggested contact can be at most 500 characters.': 'El contacto sugerido puede tener como máximo 500 caracteres.',
  'A chosen web address is not part of this notice. Reload the page and choose again.':
    'Una de las direcciones elegidas no forma parte de este aviso. Vuelve a cargar la página y elige de nuevo.',
}
