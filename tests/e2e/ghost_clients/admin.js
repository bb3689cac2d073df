// Drives Ghost's own Admin API client against a Byline server and prints what it got back as JSON.
// Usage: node admin.js <site url> <admin api key> <path of a PNG to upload>
const GhostAdminAPI = require('@tryghost/admin-api');

async function failure(promise) {
    try {
        await promise;
        return null;
    } catch (error) {
        return {name: error.name, type: error.type, message: error.message};
    }
}

// Pages: add one from HTML, edit it (and a stale edit), publish it, read it by slug, delete it.
async function pagesRound(api) {
    const added = await api.pages.add({
        title: 'Visiting the newsroom',
        html: '<p>Ring the bell at the <strong>side door</strong>.</p>',
    }, {source: 'html'});
    const edited = await api.pages.edit({
        id: added.id,
        updated_at: added.updated_at,
        html: '<p>Ring the bell at the front door.</p>',
        status: 'published',
    }, {source: 'html'});
    const conflict = await failure(api.pages.edit({id: added.id, updated_at: added.updated_at, title: 'Stale'}));
    const bySlug = await api.pages.read({slug: added.slug});
    const browsed = await api.pages.browse();
    const deleted = await api.pages.delete({id: added.id});
    const gone = await failure(api.pages.read({id: added.id}));
    return {
        added: {type: added.type, status: added.status, slug: added.slug, html: added.html},
        edited: {status: edited.status, html: edited.html, url: edited.url},
        conflict,
        bySlug: {id: bySlug.id, same: bySlug.id === added.id},
        browsed: browsed.map(item => item.slug),
        deleted: deleted === undefined || deleted === '' ? 'empty' : deleted,
        gone,
    };
}

async function main() {
    const [url, key, imagePath] = process.argv.slice(2);
    const api = new GhostAdminAPI({url, key, version: 'v6.0'});

    const image = await api.images.upload({file: imagePath, ref: 'quay-photo'});
    const tag = await api.tags.add({name: 'Quayside', description: 'News from the quay.'});
    const added = await api.posts.add({
        title: 'Crane repairs begin',
        html: `<p>Work on the <em>old crane</em> starts today.</p><figure><img src="${image.url}" alt="The crane"></figure>`,
        tags: ['Quayside', 'Works'],
        feature_image: image.url,
    }, {source: 'html'});
    const edited = await api.posts.edit({
        id: added.id,
        updated_at: added.updated_at,
        html: '<p>Work on the old crane starts on Monday.</p>',
    }, {source: 'html'});
    const conflict = await failure(api.posts.edit({id: added.id, updated_at: added.updated_at, title: 'Stale edit'}));
    const published = await api.posts.edit({id: added.id, updated_at: edited.updated_at, status: 'published'});
    const read = await api.posts.read({id: added.id});
    const bySlug = await api.posts.read({slug: 'crane-repairs-begin'});
    const browsed = await api.posts.browse({limit: 'all'});
    const member = await api.members.add({email: 'Harbour.Reader@example.com', name: 'Harbour Reader', labels: ['Quay']});
    const members = await api.members.browse({filter: 'label:quay'});
    const deleted = await api.posts.delete({id: added.id});
    const gone = await failure(api.posts.read({id: added.id}));
    const page = await pagesRound(api);
    const badKey = await failure(new GhostAdminAPI({url, key: `${'a'.repeat(24)}:${'b'.repeat(64)}`, version: 'v6.0'}).posts.browse());

    console.log(JSON.stringify({
        image: {url: image.url, ref: image.ref},
        tag: {slug: tag.slug},
        added: {status: added.status, slug: added.slug, tags: added.tags.map(t => t.slug), html: added.html,
                featureImage: added.feature_image},
        edited: {html: edited.html, changed: edited.updated_at !== added.updated_at},
        conflict,
        published: {status: published.status, url: published.url},
        read: {title: read.title, status: read.status},
        bySlug: {id: bySlug.id},
        browsed: {count: browsed.length, total: browsed.meta.pagination.total},
        member: {email: member.email, labels: member.labels.map(label => label.name)},
        members: {emails: members.map(item => item.email), total: members.meta.pagination.total},
        deleted: deleted === undefined || deleted === '' ? 'empty' : deleted,
        gone,
        page,
        badKey,
    }));
}

main().catch((error) => {
    console.error(error.stack || error);
    if (error.response) {
        console.error(JSON.stringify(error.response.data));
    }
    process.exit(1);
});
