import { runPassword, signIn } from 'pressure-harness/seed';
import { domainOf } from '../../domain.js';
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

  test("should let a seeded whale sign in with the run's password, as the domain declares, and write with the token it gets", async ({ dataset, apiFor, run }) => {
    const whale = dataset.authors.find((a) => a.tier === 'whale')!;
    const spec = domainOf(1).entities.author!.signIn!;
    const token = await signIn(await apiFor(null), spec, { values: { email: whale.email } }, runPassword(run.runId));
    expect(token).toBe(whale.token);
    const res = await (await apiFor({ token })).post(`/articles/${whale.articles[0]}/comments`, { data: { comment: { body: 'whales sign in too' } } });
    expect(res.status()).toBe(201);
    // Another run's password is refused, and the error says what the backend answered.
    await expect(signIn(await apiFor(null), spec, { values: { email: whale.email } }, runPassword(`${run.runId}-other`))).rejects.toThrow(
      /signing in with POST \/users\/login answered 401: .*email or password/,
    );
  });
});
