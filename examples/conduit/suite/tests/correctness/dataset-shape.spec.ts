import { expect, test } from '../../fixtures.js';

test.describe('the seeded dataset', () => {
  test('should hold many small authors and a whale, as declared, readable through the API', async ({ dataset, apiFor }) => {
    const api = await apiFor(null);
    const whale = dataset.authors.find((a) => a.tier === 'whale')!;
    const small = dataset.authors.filter((a) => a.tier === 'small');
    expect(small.length).toBeGreaterThan(dataset.authors.length * 0.8);
    const profile = (await (await api.get(`/profiles/${whale.username}`)).json()).profile;
    expect(profile.articlesCount).toBeGreaterThanOrEqual(2000);
    const article = (await (await api.get(`/articles/${whale.articles[0]}`)).json()).article;
    expect(article.author.username).toBe(whale.username);
  });

  test("should let a seeded author's token write, like any user's", async ({ dataset, apiFor }) => {
    const author = dataset.authors.find((a) => a.articles.length)!;
    const res = await (await apiFor(author)).post(`/articles/${author.articles[0]}/comments`, { data: { comment: { body: 'seeded users are real users' } } });
    expect(res.status()).toBe(201);
  });
});
