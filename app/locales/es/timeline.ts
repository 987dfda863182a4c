import type en from '../en/timeline'

const timeline: typeof en = {
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
