import { parseArgs } from 'node:util';
import { isRole, ROLES } from '../../domain/actor';
import { loadTokenKeys } from '../auth/token-keys';
import { signToken } from '../auth/tokens';
import { loadConfig } from '../config/config';

/** `npm run token -- --role ROLE [--agency AGENCY_ID] [--sub USER_ID] [--expires 12h]`: prints one token. */
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string' },
      agency: { type: 'string' },
      sub: { type: 'string' },
      expires: { type: 'string', default: '12h' },
    },
    strict: true,
  });
  if (!isRole(values.role)) {
    throw new Error(`--role must be one of: ${ROLES.join(', ')}`);
  }
  if ((values.role === 'agency_operator' || values.role === 'training_provider') && !values.agency) {
    throw new Error(`a ${values.role} token needs --agency`);
  }
  const config = loadConfig();
  if (config.authJwksUrl) {
    throw new Error('AUTH_JWKS_URL is set: tokens come from that identity provider, not from this key');
  }
  const keys = await loadTokenKeys(config.dataDir);
  const token = await signToken(keys, config.tokenIssuer, {
    sub: values.sub ?? `${values.role}-cli`,
    role: values.role,
    ...(values.agency ? { agencyId: values.agency } : {}),
    expiresIn: values.expires,
    ...(config.tokenAudience ? { audience: config.tokenAudience } : {}),
  });
  process.stdout.write(`${token}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
