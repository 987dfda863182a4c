// Spanish for validation messages about input limits (app/models/staff.schema.ts).
export const validation: Record<string, string> = {
  'The part before the @ can be at most 64 characters.': 'La parte antes de la @ puede tener como máximo 64 caracteres.',
}
