// Drives Ghost's own Content API client against a Byline server and prints what it got back as JSON.
// Usage: node content.js <site url> <content api key>
const GhostContentAPI = require('@tryghost/content-api');

async function failure(promise) {
    try {
        await promise;
        return null;
    } catch (error) {
        return {name: error.name, type: error.type, message: error.message, context: error.context};
    }
}

async function main() {
    const [url, key] = process.argv.slice(2);
    const api = new GhostContentAPI({url, key, version: 'v6.0'});

    const firstPage = await api.posts.browse({include: 'tags,authors', limit: 5});
    const filtered = await api.posts.browse({filter: 'tag:harbour+featured:true', fields: 'title,slug,featured'});
    const plain = await api.posts.browse({formats: 'plaintext', limit: 2, order: 'published_at asc'});
    const everything = await api.posts.browse({limit: 'all', fields: 'id,title'});
    const secondPage = await api.posts.browse({limit: 5, page: 2, fields: 'title'});
    const byId = await api.posts.read({id: firstPage[0].id}, {include: 'tags,authors'});
    const bySlug = await api.posts.read({slug: firstPage[0].slug});
    const tags = await api.tags.browse({include: 'count.posts', limit: 'all'});
    const authors = await api.authors.browse({include: 'count.posts'});
    const author = await api.authors.read({slug: authors[0].slug}, {include: 'count.posts'});
    const settings = await api.settings.browse();
    const tiers = await api.tiers.browse();
    const newsletters = await api.newsletters.browse();
    const pages = await api.pages.browse();

    console.log(JSON.stringify({
        firstPage: {posts: firstPage.map(post => ({
            title: post.title, url: post.url, primaryTag: post.primary_tag && post.primary_tag.slug,
            primaryAuthor: post.primary_author && post.primary_author.slug, html: post.html,
        })), meta: firstPage.meta},
        filtered: filtered.map(post => post),
        plain: plain.map(post => ({title: post.title, plaintext: post.plaintext, html: post.html})),
        everything: {count: everything.length, meta: everything.meta},
        secondPage: {titles: secondPage.map(post => post.title), meta: secondPage.meta},
        byId: {title: byId.title, tags: byId.tags.map(tag => tag.slug)},
        bySlug: {id: bySlug.id},
        tags: tags.map(tag => ({slug: tag.slug, posts: tag.count.posts})),
        authors: authors.map(item => ({slug: item.slug, posts: item.count.posts})),
        author: {slug: author.slug, posts: author.count.posts},
        settings: {title: settings.title, url: settings.url},
        tiers: tiers.map(tier => tier.type),
        newsletters: newsletters.map(letter => letter.slug),
        pages: pages.map(page => page.slug),
        missing: await failure(api.posts.read({slug: 'no-such-story'})),
        badFilter: await failure(api.posts.browse({filter: 'tag:'})),
        badKey: await failure(new GhostContentAPI({url, key: '0'.repeat(26), version: 'v6.0'}).posts.browse()),
    }));
}

main().catch((error) => {
    console.error(error.stack || error);
    process.exit(1);
});
