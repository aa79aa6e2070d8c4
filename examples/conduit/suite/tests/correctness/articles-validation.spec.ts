import { expect, test } from '../../fixtures.js';

test.describe('articles', () => {
  test('should reject a blank title with 422 naming the field, and create nothing', async ({ newUser, apiFor }) => {
    const user = await newUser();
    const api = await apiFor(user);
    const res = await api.post('/articles', { data: { article: { title: '', body: 'text' } } });
    expect(res.status()).toBe(422);
    expect(await res.json()).toEqual({ errors: { title: ["can't be blank"] } });
    expect((await (await api.get(`/profiles/${user.username}`)).json()).profile.articlesCount).toBe(0);
  });

  test('should page with limit and offset, newest first, without repeats or gaps', async ({ dataset, apiFor }) => {
    const mid = dataset.authors.find((a) => a.tier === 'mid') ?? dataset.authors.find((a) => a.tier === 'whale')!;
    const api = await apiFor(null);
    const all = await (await api.get(`/articles?author=${mid.username}&limit=100`)).json();
    const seen: string[] = [];
    for (let offset = 0; offset < all.articlesCount; offset += 7) {
      const pageOf = await (await api.get(`/articles?author=${mid.username}&limit=7&offset=${offset}`)).json();
      seen.push(...pageOf.articles.map((a: { slug: string }) => a.slug));
    }
    expect(seen).toEqual(all.articles.map((a: { slug: string }) => a.slug).slice(0, all.articlesCount));
    expect(new Set(seen).size).toBe(all.articlesCount);
  });

  test('should reject a limit out of range with 422 naming it', async ({ apiFor }) => {
    const res = await (await apiFor(null)).get('/articles?limit=1000');
    expect(res.status()).toBe(422);
    expect(Object.keys((await res.json()).errors)).toEqual(['limit']);
  });
});
