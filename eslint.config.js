import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules', 'data', 'drizzle', '**/dist', '.bench-data', 'packages/client/src/openapi.ts'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Money is bigint minor units; these are how floats sneak in.
      'no-restricted-properties': ['error',
        { object: 'Math', property: 'round', message: 'Money is bigint; use roundToMinor from src/money.' },
        { object: 'Number', property: 'parseFloat', message: 'Money is bigint; parse with decimal.js.' }],
      'no-restricted-globals': ['error', { name: 'parseFloat', message: 'Money is bigint; parse with decimal.js.' }],
    },
  },
);
