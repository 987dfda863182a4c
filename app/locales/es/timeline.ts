import type en from '../en/timeline'

const timeline: typeof en = {
  event: {
    drafted: 'Aviso preparado por el equipo',
    sent: 'Aviso enviado por el equipo',
    sent_again: 'Aviso enviado de nuevo, a otro contacto',
    escalated: 'Escalado por el equipo',
    ftc_packet_opened: 'Expediente de queja para la FTC abierto',
    reminder_sent: 'Recordatorio enviado al proveedor',
    reminder_not_sent: 'Recordatorio no enviado',
    overdue: 'El plazo terminó sin respuesta final',
    acknowledged: 'El proveedor confirmó que recibió el aviso',
    removed: 'El proveedor informó de una retirada',
    not_found: 'El proveedor no encontró el material',
    declined: 'El proveedor se negó',
    not_ours: 'El proveedor dice que el sitio web no es suyo',
    link_requested: 'Se pidió un enlace nuevo para responder',
    hash_review_requested: 'Hash enviado a revisión',
    hash_disabled: 'Hash desactivado por el equipo',
    hash_kept: 'Hash mantenido tras la revisión',
    hash_enabled: 'Hash activado por el equipo',
    closed: 'Aviso cerrado',
  },
  reason: {
    no_usable_address: 'el proveedor no tiene ninguna dirección que pueda recibirlo.',
    all_locations_withdrawn: 'se retiraron todas las direcciones web del aviso.',
    case_deleted: 'la víctima borró el caso.',
  },
  answer: {
    acknowledged: 'El proveedor confirmó que tiene el aviso.',
    removed_one: 'El proveedor dice que retiró el material de {{count}} dirección web.',
    removed_other: 'El proveedor dice que retiró el material de {{count}} direcciones web.',
    not_found_one: 'El proveedor dice que no encontró el material en {{count}} dirección web.',
    not_found_other: 'El proveedor dice que no encontró el material en {{count}} direcciones web.',
    remaining_one: '{{count}} dirección web sigue sin respuesta.',
    remaining_other: '{{count}} direcciones web siguen sin respuesta.',
    declined: 'El proveedor se negó a retirar el material.',
    reason: 'Su motivo:',
    not_ours: 'El proveedor dice que el sitio web no es suyo.',
    contact: 'Sugiere escribir a:',
    noContact: 'No sugirió ningún otro contacto.',
    link_requested: 'Alguien pidió un enlace nuevo para responder. Se envió a la dirección para avisos del proveedor, no a quien lo pidió.',
  },
  via: {
    link: 'Por el enlace del correo del aviso.',
    api: 'Por la API para proveedores.',
  },
}

export default timeline
