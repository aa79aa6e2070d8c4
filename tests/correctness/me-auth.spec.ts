import { expect, test } from '../../fixtures';

test.describe('authentication', () => {
  test('should return the token owner from GET /v1/me', async ({ api, account }) => {
    const res = await api.get('/v1/me');
    expect(res.status()).toBe(200);
    expect(await res.json()).toEqual({ id: account.id, name: account.name, email: account.email });
    await expect(res).toHaveQueryCountAtMost(1);
  });

  test('should reject a request without a token with 401 UNAUTHENTICATED', async ({ apiFor }) => {
    const anonymous = await apiFor(null);
    await expect(await anonymous.get('/v1/me')).toBeApiError(401, 'UNAUTHENTICATED');
    await expect(await anonymous.get('/v1/dashboard')).toBeApiError(401, 'UNAUTHENTICATED');
  });

  test('should reject an unknown or malformed token with 401 UNAUTHENTICATED', async ({ apiFor, account }) => {
    const anonymous = await apiFor(null);
    const forged = `pst_${'A'.repeat(32)}`;
    await expect(await anonymous.get('/v1/me', { headers: { authorization: `Bearer ${forged}` } })).toBeApiError(401, 'UNAUTHENTICATED');
    await expect(await anonymous.get('/v1/me', { headers: { authorization: account.token } })).toBeApiError(401, 'UNAUTHENTICATED');
    await expect(await anonymous.get('/v1/me', { headers: { authorization: `Basic ${account.token}` } })).toBeApiError(401, 'UNAUTHENTICATED');
  });
});
