// ESLint (flat config): typescript-eslint's recommended rules on the sources, commands, tests and scripts, tuned to
// the code's own habits. Formatting is Prettier's job (.prettierrc.json); `npm run lint` runs both (scripts/lint.ts).

import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  {
    ignores: [
      'dist/',
      'node_modules/',
      'coverage/',
      'fixtures/',
      'src/contracts/generated/',
      'src/snapshot/generated/',
      'test/lab/.state/',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {ecmaVersion: 2022, sourceType: 'module', globals: {console: 'readonly', process: 'readonly'}},
    rules: {
      // `const {regs: _regs, ...headers} = packet` drops fields on purpose; `_x` marks a parameter kept for its place.
      '@typescript-eslint/no-unused-vars': [
        'error',
        {argsIgnorePattern: '^_', varsIgnorePattern: '^_', ignoreRestSiblings: true, caughtErrors: 'none'},
      ],
      // Names from hosts and tenants are screened for control characters: the regexes that find them must name them.
      'no-control-regex': 'off',
      // `let child` declared before the closures that use it, assigned once they exist.
      'prefer-const': ['error', {ignoreReadBeforeAssign: true}],
    },
  },
  // Lines of at most 120 characters (long strings, templates, regexes and URLs aside: Prettier cannot break those).
  // With the format checks (scripts/lint.ts): the tree meets it after the one-time `npm run format`.
  process.env.NEUTRACE_FORMAT_CHECK === 'on'
    ? {
        rules: {
          'max-len': [
            'error',
            {
              code: 120,
              ignoreUrls: true,
              ignoreStrings: true,
              ignoreTemplateLiterals: true,
              ignoreRegExpLiterals: true,
            },
          ],
        },
      }
    : {},
)
