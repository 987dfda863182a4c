import type en from '../en/review'

const review: typeof en = {
  nav: 'Revisión',
  navCount: 'Revisión ({{count}})',
  meta: 'Hashes por revisar · Takeback',
  title: 'Hashes por revisar',
  lead: 'Dos o más plataformas comprobaron una coincidencia con cada uno de estos hashes y no retiraron el contenido, y ninguna lo retiró. Puede que el hash coincida con imágenes que no son de la persona. Desactívalo para sacarlo de la lista de hashes, o mantenlo.',
  none: 'No hay nada por revisar.',
  hash: 'Hash',
  media: { image: 'Imagen', video: 'Vídeo' },
  kind: { pdq: 'PDQ', md5: 'MD5', sha256: 'SHA-256', vpdq: 'fotograma vPDQ' },
  file: 'Archivo {{item}}',
  frameAt: 'fotograma en el segundo {{seconds}}',
  status: { active: 'Activo', withdrawn: 'Retirado', disabled: 'Desactivado' },
  feedbackTitle: 'Qué dijeron las plataformas',
  feedback: {
    NotBlocked: 'lo comprobó y no retiró el contenido',
    Blocked: 'retiró el contenido',
    PendingReview: 'encontró una coincidencia y la está comprobando',
    other: 'envió «{{value}}»',
  },
  openCase: 'Abrir el caso',
  disable: 'Desactivar este hash',
  keep: 'Mantener este hash',
  done: {
    disabled: 'El hash está desactivado. Se pide a las plataformas que lo borren y ya no produce coincidencias.',
    kept: 'El hash se mantiene. Los mismos avisos no lo volverán a traer aquí.',
  },
  switchTitle: 'Uso en la lista de hashes',
  switchOff: 'Desactivar',
  switchOn: 'Volver a activar',
  switchOffLabel: 'Desactivar el hash {{kind}} del archivo {{item}}',
  switchOnLabel: 'Volver a activar el hash {{kind}} del archivo {{item}}',
  switchedOff: 'El hash está desactivado. Se pide a las plataformas que lo borren.',
  switchedOn: 'El hash vuelve a estar en uso. Las plataformas lo reciben en su próxima actualización.',
  reviewPending: 'pendiente de revisión',
  caps: {
    perCase:
      'Este caso ya tiene {{count}} hashes y estos archivos añadirían {{adding}}; un caso puede tener como máximo {{max}}. Escríbenos si necesitas más.',
    perDay: 'Hoy ya hemos recibido todos los hashes nuevos que podemos, así que estos archivos no se añadieron. Vuelve a intentarlo mañana, o escríbenos si es urgente.',
  },
}

export default review

/** Validation messages of this area, keyed by their English text (spread into es.ts's `validation`). */
export const validation: Record<string, string> = {
  [`We have taken in as many new hashes as we can today, so these files were not added. Try again tomorrow, or contact us if it is urgent.`]:
    'Hoy ya hemos recibido todos los hashes nuevos que podemos, así que estos archivos no se añadieron. Vuelve a intentarlo mañana, o escríbenos si es urgente.',
  'This hash is no longer waiting for review: someone may have decided it already. Reload the page.':
    'Este hash ya no está pendiente de revisión: puede que alguien ya lo haya decidido. Vuelve a cargar la página.',
  'This hash no longer exists.': 'Este hash ya no existe.',
  'This hash is not part of this case. Reload the page.': 'Este hash no es de este caso. Vuelve a cargar la página.',
  'The survivor took this hash back, so it cannot be switched on or off.':
    'La persona retiró este hash, así que no se puede activar ni desactivar.',
}
