def test_a_published_story_is_served_at_its_slug(client, make_story, make_tag, make_image):
    story = make_story("The harbour reopens", tags=[make_tag("Local")], feature_image=make_image())
    response = client.get("/the-harbour-reopens/")
    assert response.status_code == 200
    assert b"The harbour reopens" in response.content
    assert story.reading_time is not None
    home = client.get("/")
    assert b"The harbour reopens" in home.content
