import type en from '../en/intake'

const intake: typeof en = {
  nav: 'Nuevo caso',
  meta: 'Abrir un caso para alguien · Takeback',
  title: 'Abrir un caso para alguien',
  lead: 'Para una víctima que vino en persona o llamó por teléfono, o que no puede usar el formulario web. Sus fotos y vídeos se procesan en un ordenador con «takeback hash»; aquí llegan solo los hashes, nunca las imágenes.',
  hashesTitle: 'Hashes',
  hashesFile: 'Resultado de «takeback hash» (un archivo .jsonl)',
  hashesFileHint: 'El archivo se lee en este navegador. Los nombres de archivo se quitan antes de enviar nada.',
  hashes: 'Hashes, una línea JSON por archivo',
  hashesHint: 'Se rellena con el archivo de arriba, o pega aquí el resultado. Se omiten las líneas de archivos que no se pudieron procesar.',
  fileTooBig: 'Este archivo es demasiado grande para ser el resultado de «takeback hash» para un caso. Divídelo en archivos más pequeños.',
  fileUnreadable: 'No se pudo leer este archivo. Comprueba que es el archivo .jsonl que escribió «takeback hash».',
  urlsTitle: 'Direcciones web (opcional)',
  urls: 'Dónde se vieron las imágenes, una dirección por línea',
  whoTitle: 'Para quién es el caso',
  languageTitle: 'Idioma para la víctima',
  languageHint: 'Su página de estado y sus correos usan este idioma.',
  languages: { en: 'Inglés', es: 'Español' },
  consentTitle: 'Qué aceptó la víctima',
  consentHelp: 'Lee cada opción a la víctima y márcala solo si está de acuerdo.',
  shareHashes: 'Compartir los hashes con las webs que bloquean copias.',
  noticesConsent: 'Enviar avisos de retirada a las webs de las direcciones de arriba.',
  submit: 'Abrir el caso',
  lines: {
    notObject: 'La línea {{line}} no es un objeto JSON. Usa el resultado de «takeback hash» tal cual.',
    noHashes: 'La línea {{line}} no tiene hashes. Usa el resultado de «takeback hash» tal cual.',
    kind: 'La línea {{line}} no es ni una imagen ni un vídeo («kind» debe ser «image» o «video»).',
    invalid: 'Línea {{line}}: {{detail}}',
    tooLong: 'Este texto es demasiado largo para ser el resultado de «takeback hash» para un caso. Divídelo en archivos más pequeños.',
  },
  warnings: {
    title: 'Se omitieron algunas líneas',
    error: 'Se omitió la línea {{line}}: «takeback hash» no pudo procesar ese archivo.',
    duplicate: 'Se omitió la línea {{line}}: es el mismo archivo que la línea {{first}}.',
    noFrames: 'Línea {{line}}: este vídeo no tiene hashes de fotogramas (faltaba FFmpeg al procesarlo), así que solo se pueden encontrar copias exactas.',
  },
  urlInvalid: '«{{url}}»: {{detail}}',
  consent: {
    share: 'La víctima debe aceptar que sus hashes se compartan con las webs que bloquean copias. Marca la casilla cuando lo haya aceptado.',
    notices: 'La víctima debe aceptar que se envíen avisos de retirada para estas direcciones web. Marca la casilla cuando lo haya aceptado, o quita las direcciones.',
  },
  done: {
    title: 'El caso {{caseNumber}} está abierto',
    lead: 'Dale esto ahora a la víctima, en papel o leyéndoselo. La clave secreta no se puede volver a mostrar: Takeback solo guarda un hash de ella.',
    caseNumber: 'Número de caso',
    secret: 'Clave secreta',
    how: 'Con ellos la víctima puede seguir el caso en la página «Seguir mi caso», añadir más o cerrarlo. Dile que guarde los dos en un lugar seguro y privado.',
    summary: 'Archivos: {{files}}. Direcciones web: {{urls}}.',
    print: 'Imprimir para la víctima',
    open: 'Abrir la página del caso',
    another: 'Abrir otro caso',
  },
}

export default intake

/** Hash checks a survivor never meets (their browser makes the hashes) but a pasted file can fail. */
export const validation: Record<string, string> = {
  "This file's MD5 code is broken. It should be 32 characters, each 0-9 or a-f. Try adding the file again.":
    'El código MD5 de este archivo está dañado. Debe tener 32 caracteres, cada uno 0-9 o a-f. Vuelve a añadir el archivo.',
  "This file's SHA-256 code is broken. It should be 64 characters, each 0-9 or a-f. Try adding the file again.":
    'El código SHA-256 de este archivo está dañado. Debe tener 64 caracteres, cada uno 0-9 o a-f. Vuelve a añadir el archivo.',
  "This file's PDQ code is broken. It should be 64 characters, each 0-9 or a-f. Try adding the file again.":
    'El código PDQ de este archivo está dañado. Debe tener 64 caracteres, cada uno 0-9 o a-f. Vuelve a añadir el archivo.',
  "This video's frames are out of order. Try adding the video again.": 'Los fotogramas de este vídeo están desordenados. Vuelve a añadir el vídeo.',
  "This video's frame numbers are broken. Try adding the video again.": 'Los números de fotograma de este vídeo están dañados. Vuelve a añadir el vídeo.',
}
