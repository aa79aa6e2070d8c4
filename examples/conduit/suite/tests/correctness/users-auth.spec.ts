import { expect, test } from '../../fixtures.js';

test.describe('users and auth', () => {
  test('should register a user whose token authenticates GET /user with the Token scheme', async ({ newUser, apiFor }) => {
    const user = await newUser();
    const res = await (await apiFor(user)).get('/user');
    expect(res.status()).toBe(200);
    expect((await res.json()).user.username).toBe(user.username);
  });

  test('should answer 401 with { errors: { token } } to a missing or unknown token', async ({ apiFor }) => {
    for (const who of [null, 'not-a-token']) {
      const res = await (await apiFor(who)).get('/user');
      expect(res.status()).toBe(401);
      expect(await res.json()).toEqual({ errors: { token: ['is missing or invalid'] } });
    }
  });

  test("should refuse to delete another user's article with 403 and keep it", async ({ newUser, apiFor }) => {
    const [owner, other] = [await newUser(), await newUser()];
    const made = await (await (await apiFor(owner)).post('/articles', { data: { article: { title: 'Mine', body: 'text' } } })).json();
    expect((await (await apiFor(other)).delete(`/articles/${made.article.slug}`)).status()).toBe(403);
    expect((await (await apiFor(null)).get(`/articles/${made.article.slug}`)).status()).toBe(200);
  });
});
