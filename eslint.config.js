import js from '@eslint/js'
import reactHooks from 'eslint-plugin-react-hooks'
import globals from 'globals'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['build/', 'data/', 'node_modules/', 'test-results/', 'playwright-report/', '.cache/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Frozen migrations type the database as Kysely<any> on purpose (see db/migrations).
      '@typescript-eslint/no-explicit-any': 'off',
      'no-console': 'off',
    },
  },
  { files: ['app/**/*.tsx'], plugins: { 'react-hooks': reactHooks }, rules: reactHooks.configs.recommended.rules },
  // Playwright fixtures take their dependencies as a destructured first argument, often empty.
  { files: ['test/e2e/**'], rules: { 'no-empty-pattern': 'off' } },
  {
    // Browser and worker code must not reach for Node, and must not log what a survivor chose.
    files: ['app/hashing/**'],
    rules: { 'no-console': 'error', 'no-restricted-imports': ['error', { patterns: ['node:*', '~/lib/*', '../lib/*'] }] },
  },
)
